"""A safe attribute-expression language for filtering layer features (core: no Qt, no VTK).

Planners type conditions such as ``height > 100 and use == "residential"`` in the app's
filter box and on the command line. The text is parsed with Python's :mod:`ast` (so the
grammar is familiar and the parser is battle-tested) and then checked against a strict
whitelist of node types; nothing is ever passed to ``eval``/``exec``, attribute access,
subscripts, lambdas and unknown functions are rejected before any evaluation. Evaluation
is vectorised over the table's numpy columns, so 100k features filter in milliseconds.

Grammar (Python spelling, plus two conveniences):

- column names as bare identifiers, or backquoted for odd names: ```building:levels` > 5``
- numbers, strings, ``True``, ``False``, ``None``
- comparisons ``== != < <= > >=``, chained (``10 < height <= 50``); a lone ``=`` means ``==``
- ``in`` / ``not in`` with a list or tuple of literals: ``district in ["Gate", "Golden"]``
- ``is None`` / ``is not None`` and ``== None`` / ``!= None`` test for missing values
- ``and``, ``or``, ``not``, parentheses
- arithmetic ``+ - * / %`` and unary minus on numbers: ``height / floors > 3.5``
- functions: ``contains(col, "text")`` and ``startswith(col, "text")`` (both
  case-insensitive, because planners rarely remember how a name was capitalised),
  ``lower(col)``, ``abs(x)``, ``isnull(col)`` (None, NaN or empty string)

Missing values: any comparison with a missing value (None, NaN, empty string in a text
column) is False, including ``!=`` and ``not in``; ask for them explicitly with
``isnull(col)``. This is two-valued logic (``not (x > 1)`` is True for a missing ``x``),
simpler to explain than SQL's three-valued NULL.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from alatau_twin.core.attributes import AttributeTable

FUNCTIONS: dict[str, int] = {
    "contains": 2,
    "startswith": 2,
    "lower": 1,
    "abs": 1,
    "isnull": 1,
}
"""Whitelisted function names and their number of arguments."""

MAX_LENGTH = 10_000
"""Longest accepted expression: a guard against pathological input, far above real use."""

# Value kinds flowing through evaluation. "null" is the None literal.
_NUMBER, _STRING, _BOOL, _DATE, _NULL = "number", "text", "boolean", "date", "null"

_CMP_OPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
_ARITH_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.Mod: np.mod,
}
_ARITH_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%"}

# Friendly names for rejected syntax, so the message says what the user wrote.
_REJECTED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing/subscripts",
    ast.Lambda: "lambda",
    ast.Starred: "starred arguments",
    ast.NamedExpr: "assignment (:=)",
    ast.IfExp: "if/else expressions",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Dict: "dictionaries",
    ast.JoinedStr: "f-strings",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


class ExpressionError(ValueError):
    """A filter expression that cannot be parsed, checked or evaluated.

    ``position`` is the character offset into the text the user typed (None when the
    problem has no single place), so the app can put the cursor there and the CLI can
    draw a caret under it with :meth:`caret`.
    """

    def __init__(self, message: str, position: int | None = None, text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.text = text

    def caret(self) -> str:
        """The expression with a ``^`` under the offending character (for terminals)."""
        if self.position is None or not self.text:
            return self.message
        line_start = self.text.rfind("\n", 0, self.position) + 1
        line_end = self.text.find("\n", self.position)
        line = self.text[line_start : line_end if line_end >= 0 else len(self.text)]
        return f"{line}\n{' ' * (self.position - line_start)}^\n{self.message}"


class _Val:
    """An intermediate result: an (n,) array or a scalar, its kind, and where it came from.

    ``null`` marks missing rows for text/date results derived from columns (numbers use
    NaN, which numpy comparisons already treat as False except for ``!=``). For text
    columns it is computed only when asked (``lazy_text_null``): ``use == "office"``
    cannot match a missing value anyway, and the mask costs more than the comparison.
    """

    __slots__ = ("_lazy", "_null", "kind", "label", "value")

    def __init__(
        self,
        value: Any,
        kind: str,
        label: str,
        null: np.ndarray | None = None,
        *,
        lazy_text_null: bool = False,
    ) -> None:
        self.value = value
        self.kind = kind
        self.label = label
        self._null = null
        self._lazy = lazy_text_null

    @property
    def null(self) -> np.ndarray | None:
        if self._null is None and self._lazy:
            self._null = _text_null(self.value)
        return self._null

    @property
    def is_present_scalar(self) -> bool:
        """A literal that no missing value can equal (not None, NaN or "")."""
        return (
            np.ndim(self.value) == 0
            and self._null is None
            and not self._lazy
            and not (self.kind == _NULL or bool(_isnull(self)))
        )


class Expression:
    """A checked expression; :meth:`evaluate` gives a boolean mask over a table's rows."""

    def __init__(
        self,
        text: str,
        tree: ast.Expression,
        first_use: dict[str, ast.Name],
        placeholders: dict[str, str],
        source: str,
        char_map: list[int],
    ) -> None:
        self.text = text
        self.columns: tuple[str, ...] = tuple(first_use)
        self._first_use = first_use
        self._tree = tree
        self._placeholders = placeholders
        self._source = source
        self._char_map = char_map
        self._line_starts = _line_starts(source)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def evaluate(self, table: AttributeTable) -> np.ndarray:
        """Boolean mask (n,), True where a row satisfies the condition.

        Raises :class:`ExpressionError` for unknown columns or type mismatches that only
        show once column types are known (text column compared with a number, ...).
        """
        n = len(table)
        missing = [c for c in self.columns if c not in table]
        if missing:
            name = missing[0]
            raise self._error(_unknown_column_message(name, table.columns), self._first_use[name])
        with np.errstate(all="ignore"):
            result = self._eval(self._tree.body, table)
        if result.kind != _BOOL:
            raise self._error("expression must be a condition (e.g. height > 10)", 0)
        mask = np.asarray(result.value, dtype=bool)
        if result.null is not None:
            mask = mask & ~result.null
        if mask.ndim == 0:
            return np.full(n, bool(mask))
        return mask

    # -- errors and positions -------------------------------------------------------

    def _error(self, message: str, where: ast.AST | int | None) -> ExpressionError:
        return ExpressionError(message, self._pos(where), self.text)

    def _pos(self, where: ast.AST | int | None) -> int | None:
        if where is None:
            return None
        if isinstance(where, int):
            return where
        return _node_position(where, self._source, self._line_starts, self._char_map)

    # -- evaluation -----------------------------------------------------------------

    def _eval(self, node: ast.AST, table: AttributeTable) -> _Val:
        if isinstance(node, ast.Constant):
            return _constant(node.value)
        if isinstance(node, ast.Name):
            return self._column(node, table)
        if isinstance(node, ast.BoolOp):
            parts = [
                self._condition(v, table, "and" if isinstance(node.op, ast.And) else "or")
                for v in node.values
            ]
            out = parts[0]
            for p in parts[1:]:
                out = out & p if isinstance(node.op, ast.And) else out | p
            return _Val(out, _BOOL, "condition")
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return _Val(~self._condition(node.operand, table, "not"), _BOOL, "condition")
            v = self._eval(node.operand, table)
            if v.kind != _NUMBER:
                raise self._error(f"unary minus needs a number, got {v.kind} {v.label}", node)
            return _Val(-v.value if isinstance(node.op, ast.USub) else +v.value, _NUMBER, v.label)
        if isinstance(node, ast.BinOp):
            left, right = self._eval(node.left, table), self._eval(node.right, table)
            sym = _ARITH_SYMBOL[type(node.op)]
            for v, side in ((left, node.left), (right, node.right)):
                if v.kind != _NUMBER:
                    raise self._error(
                        f"'{sym}' needs numbers, but {v.label} is {_article(v.kind)}", side
                    )
            value = _ARITH_OPS[type(node.op)](
                np.asarray(left.value, float), np.asarray(right.value, float)
            )
            return _Val(value, _NUMBER, f"{left.label} {sym} {right.label}")
        if isinstance(node, ast.Compare):
            return self._compare(node, table)
        if isinstance(node, ast.Call):
            return self._call(node, table)
        # The checker rejects everything else before evaluation.
        raise self._error(f"{type(node).__name__} is not allowed", node)  # pragma: no cover

    def _condition(self, node: ast.AST, table: AttributeTable, op: str) -> Any:
        """A boolean operand of and/or/not, with missing rows already False."""
        v = self._eval(node, table)
        if v.kind != _BOOL:
            raise self._error(
                f"'{op}' needs conditions on both sides, but {v.label} is {_article(v.kind)}"
                " (compare it, e.g. height > 10)",
                node,
            )
        value = v.value
        if v.null is not None:
            value = value & ~v.null
        return value

    def _column(self, node: ast.Name, table: AttributeTable) -> _Val:
        name = self._placeholders.get(node.id, node.id)
        if name not in table:
            raise self._error(_unknown_column_message(name, table.columns), node)
        arr = table[name]
        label = f"column {name!r}"
        kind = arr.dtype.kind
        if kind in "fiu":
            return _Val(arr, _NUMBER, label)
        if kind == "b":
            return _Val(arr, _BOOL, label)
        if kind == "M":
            return _Val(arr, _DATE, label, np.isnat(arr))
        if kind in "US":
            arr = arr.astype(object)
        return _object_column(arr, label)

    def _compare(self, node: ast.Compare, table: AttributeTable) -> _Val:
        left = self._eval(node.left, table)
        out: Any = None
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                part = self._membership(left, op, right_node, table)
                right = left  # `a in [..] < b` is meaningless; the checker forbids chaining it
            elif isinstance(op, ast.Is | ast.IsNot):
                part = _isnull(left)
                if isinstance(op, ast.IsNot):
                    part = ~part
                right = left
            else:
                right = self._eval(right_node, table)
                part = self._compare_pair(left, _CMP_OPS[type(op)], right, node, right_node)
            out = part if out is None else out & part
            left = right
        return _Val(out, _BOOL, "comparison")

    def _compare_pair(self, a: _Val, op: str, b: _Val, node: ast.AST, b_node: ast.AST) -> Any:
        if _NULL in (a.kind, b.kind):
            if op not in ("==", "!="):
                raise self._error(f"None can only be compared with == or !=, not {op}", node)
            other = b if a.kind == _NULL else a
            isn = _isnull(other)
            return isn if op == "==" else ~isn
        av, bv = a.value, b.value
        kinds = {a.kind, b.kind}
        if a.kind == _DATE and b.kind == _STRING and np.ndim(bv) == 0:
            bv = self._date_literal(bv, b_node)
        elif b.kind == _DATE and a.kind == _STRING and np.ndim(av) == 0:
            av = self._date_literal(av, node)
        elif len(kinds) > 1 and kinds != {_NUMBER, _BOOL}:
            col, other = (a, b) if a.label.startswith("column") else (b, a)
            raise self._error(
                f"cannot compare {col.kind} {col.label} with {other.kind} {other.label}"
                + _quote_hint(col, other),
                b_node if col is a else node,
            )
        if op in ("<", "<=", ">", ">=") and _BOOL in kinds:
            raise self._error(f"cannot order {a.label} and {b.label} with {op}", node)
        text = a.kind == _STRING and b.kind == _STRING
        result = _apply_cmp(av, op, bv, text, a, b)
        # Nothing missing equals a present literal, so `==` skips the (costly) null mask.
        skip = op == "==" and (a.is_present_scalar or b.is_present_scalar)
        null = None if skip else _combine_null(a, b)
        if op == "!=" and a.kind == _NUMBER and b.kind == _NUMBER:
            # numpy says NaN != x is True; here a missing value never matches.
            result = result & ~(np.isnan(np.asarray(av, float)) | np.isnan(np.asarray(bv, float)))
        if null is not None:
            result = result & ~null
        return result

    def _date_literal(self, value: str, node: ast.AST) -> np.datetime64:
        try:
            return np.datetime64(value)
        except ValueError:
            raise self._error(f"{value!r} is not a date (use YYYY-MM-DD)", node) from None

    def _membership(
        self, left: _Val, op: ast.cmpop, right_node: ast.AST, table: AttributeTable
    ) -> Any:
        assert isinstance(right_node, ast.List | ast.Tuple | ast.Set)
        out: Any = np.zeros(np.shape(left.value), dtype=bool)
        for elt in right_node.elts:
            item = self._eval(elt, table)
            if item.kind == _NULL:
                out = out | _isnull(left)
            else:
                out = out | self._compare_pair(left, "==", item, right_node, elt)
        if isinstance(op, ast.NotIn):
            out = ~out & ~_isnull(left)
        return out

    def _call(self, node: ast.Call, table: AttributeTable) -> _Val:
        assert isinstance(node.func, ast.Name)
        fn = node.func.id
        args = [self._eval(a, table) for a in node.args]
        if fn == "isnull":
            return _Val(_isnull(args[0]), _BOOL, f"isnull({args[0].label})")
        if fn == "abs":
            if args[0].kind != _NUMBER:
                raise self._error(f"abs() needs a number, but {args[0].label} is text", node)
            return _Val(np.abs(args[0].value), _NUMBER, f"abs({args[0].label})")
        if args[0].kind != _STRING:
            raise self._error(
                f"{fn}() needs text, but {args[0].label} is {_article(args[0].kind)}",
                node.args[0],
            )
        col = args[0]
        if fn == "lower":
            lowered = _map_text(col.value, str.lower)
            return _Val(lowered, _STRING, f"lower({col.label})", lazy_text_null=col._lazy)
        needle = args[1]
        if needle.kind != _STRING or np.ndim(needle.value) != 0:
            raise self._error(f"{fn}() needs a text literal as its second argument", node.args[1])
        text = str(needle.value).lower()

        def contains(s: str) -> bool:
            return text in s.lower()

        def startswith(s: str) -> bool:
            return s.lower().startswith(text)

        test = contains if fn == "contains" else startswith
        # Missing values never contain anything, except that "" contains "".
        null = col.null if not text else None
        return _Val(_test_text(col.value, test), _BOOL, f"{fn}({col.label})", null)


# -- compiling -----------------------------------------------------------------------


def compile_expression(text: str, columns: Sequence[str] | None = None) -> Expression:
    """Parse and check ``text``; raise :class:`ExpressionError` saying what and where.

    ``columns`` (when given) are the names the expression may use, so unknown names are
    reported at once, with close matches, before any table is at hand (the filter box
    checks as the user types).
    """
    if not text or not text.strip():
        raise ExpressionError("empty expression", 0, text or "")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH} characters", None, text)
    source, char_map, placeholders = _preprocess(text)
    try:
        tree = ast.parse(source, mode="eval")
    except (RecursionError, MemoryError):
        raise ExpressionError("expression is too deeply nested", None, text) from None
    except SyntaxError as exc:
        pos = None
        if exc.lineno is not None and exc.offset is not None:
            starts = _line_starts(source)
            idx = starts[min(exc.lineno, len(starts)) - 1] + max(exc.offset - 1, 0)
            pos = char_map[min(idx, len(char_map) - 1)]
        msg = exc.msg or "invalid syntax"
        where = f" at position {pos}" if pos is not None else ""
        raise ExpressionError(f"syntax error{where}: {msg}", pos, text) from None
    starts = _line_starts(source)
    used: list[ast.Name] = []

    def fail(message: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(message, _node_position(node, source, starts, char_map), text)

    try:
        _check(tree.body, fail, used, placeholders, top=True)
    except RecursionError:
        raise ExpressionError("expression is too deeply nested", None, text) from None
    names = [placeholders.get(node.id, node.id) for node in used]
    if columns is not None:
        known = list(columns)
        for node, name in zip(used, names, strict=True):
            if name not in known:
                raise fail(_unknown_column_message(name, known), node)
    first_use = {}
    for node, name in zip(used, names, strict=True):
        first_use.setdefault(name, node)
    return Expression(text, tree, first_use, placeholders, source, char_map)


def _check(
    node: ast.AST,
    fail: Callable[[str, ast.AST], ExpressionError],
    used: list[ast.Name],
    placeholders: dict[str, str],
    top: bool = False,
) -> None:
    """Walk the tree and reject every node type outside the whitelist."""
    if isinstance(node, ast.Constant):
        if not (node.value is None or isinstance(node.value, bool | int | float | str)):
            raise fail(f"unsupported literal {node.value!r}", node)
        if top and not isinstance(node.value, bool):
            raise fail("expression must be a condition (e.g. height > 10)", node)
        return
    if isinstance(node, ast.Name):
        used.append(node)
        return
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, fail, used, placeholders)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.Not | ast.USub | ast.UAdd):
            raise fail("operator '~' is not allowed (use 'not')", node)
        if top and not isinstance(node.op, ast.Not):
            raise fail("expression must be a condition (e.g. height > 10)", node)
        _check(node.operand, fail, used, placeholders)
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _ARITH_OPS:
            raise fail(
                f"operator {type(node.op).__name__} is not allowed (use + - * / %, and/or)",
                node,
            )
        if top:
            raise fail("expression must be a condition (e.g. height / floors > 3)", node)
        _check(node.left, fail, used, placeholders)
        _check(node.right, fail, used, placeholders)
        return
    if isinstance(node, ast.Compare):
        _check(node.left, fail, used, placeholders)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                if len(node.ops) > 1:
                    raise fail("'in' cannot be chained with other comparisons", node)
                if not isinstance(comp, ast.List | ast.Tuple | ast.Set):
                    raise fail(
                        '\'in\' needs a list of values, e.g. use in ["office", "retail"]', comp
                    )
                for elt in comp.elts:
                    if not isinstance(elt, ast.Constant) and not (
                        isinstance(elt, ast.UnaryOp)
                        and isinstance(elt.op, ast.USub)
                        and isinstance(elt.operand, ast.Constant)
                    ):
                        raise fail("'in' lists may only hold literal values", elt)
                    _check(elt, fail, used, placeholders)
            elif isinstance(op, ast.Is | ast.IsNot):
                if not (isinstance(comp, ast.Constant) and comp.value is None) or len(node.ops) > 1:
                    raise fail("'is' is only allowed as 'is None' / 'is not None'", node)
            else:
                _check(comp, fail, used, placeholders)
        return
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            _check(node.func, fail, used, placeholders)
        if not isinstance(node.func, ast.Name):
            raise fail("only plain function calls are allowed: " + ", ".join(FUNCTIONS), node)
        fn = node.func.id
        if fn not in FUNCTIONS:
            raise fail(f"unknown function {fn!r}; functions: {', '.join(FUNCTIONS)}", node)
        if node.keywords or len(node.args) != FUNCTIONS[fn]:
            n = FUNCTIONS[fn]
            raise fail(f"{fn}() takes {n} argument{'s' if n > 1 else ''}", node)
        if top and fn in ("lower", "abs"):
            raise fail("expression must be a condition (e.g. abs(x) > 1)", node)
        for a in node.args:
            _check(a, fail, used, placeholders)
        return
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        raise fail("a list is only allowed after 'in'", node)
    what = _REJECTED.get(type(node), type(node).__name__)
    hint = " (backquote column names with dots: `a.b`)" if isinstance(node, ast.Attribute) else ""
    raise fail(f"{what} is not allowed in expressions{hint}", node)


def _preprocess(text: str) -> tuple[str, list[int], dict[str, str]]:
    """Backquoted names -> placeholder identifiers, lone ``=`` -> ``==``.

    Returns the Python source, a map from each source character to its offset in
    ``text`` (so errors point at what the user typed), and placeholder -> column name.
    String literals are copied untouched.
    """
    prefix = "_col"
    while prefix in text:
        prefix = "_" + prefix
    out: list[str] = []
    cmap: list[int] = []
    placeholders: dict[str, str] = {}
    names: dict[str, str] = {}
    i, n = 0, len(text)

    def emit(s: str, at: int) -> None:
        out.append(s)
        cmap.extend([at] * len(s))

    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            for k in range(i, j):
                emit(text[k], k)
            i = j
        elif c == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise ExpressionError(f"syntax error at position {i}: unclosed backquote", i, text)
            name = text[i + 1 : j]
            if not name:
                raise ExpressionError(f"syntax error at position {i}: empty column name", i, text)
            ident = names.get(name)
            if ident is None:
                ident = f"{prefix}{len(names)}_"
                names[name] = ident
                placeholders[ident] = name
            emit(ident, i)
            i = j + 1
        elif c == "=":
            prev = text[i - 1] if i else ""
            nxt = text[i + 1] if i + 1 < n else ""
            if prev in "=!<>:" or nxt == "=":
                emit(c, i)
            else:
                emit("==", i)
            i += 1
        else:
            emit(c, i)
            i += 1
    cmap.append(n)  # one past the end, for "unexpected end of expression"
    return "".join(out), cmap, placeholders


def _line_starts(source: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(source):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _node_position(
    node: ast.AST, source: str, starts: list[int], char_map: list[int]
) -> int | None:
    lineno = getattr(node, "lineno", None)
    col = getattr(node, "col_offset", None)
    if lineno is None or col is None:
        return None
    start = starts[lineno - 1]
    end = starts[lineno] if lineno < len(starts) else len(source)
    # ast offsets are UTF-8 byte offsets; the user sees characters (Cyrillic names!).
    chars = len(source[start:end].encode("utf-8")[:col].decode("utf-8", errors="ignore"))
    return char_map[min(start + chars, len(char_map) - 1)]


def _unknown_column_message(name: str, columns: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(columns), n=3, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in columns}
        close = [lowered[name.lower()]] if name.lower() in lowered else []
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    shown = ", ".join(list(columns)[:20]) + (", ..." if len(columns) > 20 else "")
    return f"unknown column {name!r}{hint} (columns: {shown})"


# -- evaluation helpers --------------------------------------------------------------


def _constant(value: Any) -> _Val:
    if value is None:
        return _Val(None, _NULL, "None")
    if isinstance(value, bool):
        return _Val(np.bool_(value), _BOOL, repr(value))
    if isinstance(value, str):
        return _Val(value, _STRING, repr(value))
    return _Val(np.float64(value), _NUMBER, repr(value))


def _object_column(arr: np.ndarray, label: str) -> _Val:
    """Classify an object column by its first non-missing value (columns are uniform)."""
    first = next((v for v in arr if not _missing_scalar(v)), None)
    if isinstance(first, str) or first is None:
        return _Val(arr, _STRING, label, lazy_text_null=True)
    if isinstance(first, bool | np.bool_):
        null = _text_null(arr)
        return _Val(np.where(null, False, arr).astype(bool), _BOOL, label, null)
    try:
        return _Val(arr.astype(float), _NUMBER, label)
    except (TypeError, ValueError):
        return _Val(arr, _STRING, label, lazy_text_null=True)


def _missing_scalar(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or v == ""


def _text_null(arr: np.ndarray) -> np.ndarray:
    # Elementwise on object arrays: None, NaN (the only value unequal to itself), "".
    return np.asarray((arr == None) | (arr != arr) | (arr == ""), dtype=bool)  # noqa: E711


def _isnull(v: _Val) -> Any:
    if v.kind == _NULL:
        return np.True_
    if v.null is not None:
        return v.null
    if v.kind == _NUMBER:
        return np.isnan(np.asarray(v.value, float))
    if v.kind == _STRING and np.ndim(v.value) == 0:
        return np.bool_(v.value == "")
    return np.zeros(np.shape(v.value), dtype=bool)


def _combine_null(a: _Val, b: _Val) -> np.ndarray | None:
    if a.null is None:
        return b.null
    if b.null is None:
        return a.null
    return a.null | b.null


def _apply_cmp(a: Any, op: str, b: Any, text: bool, va: _Val, vb: _Val) -> Any:
    if text and op not in ("==", "!="):
        # Ordering Python objects fails on None/NaN: order with missing rows blanked.
        if va.null is not None:
            a = np.where(va.null, "", a)
        if vb.null is not None:
            b = np.where(vb.null, "", b)
    if op == "==":
        r = a == b
    elif op == "!=":
        r = a != b
    elif op == "<":
        r = a < b
    elif op == "<=":
        r = a <= b
    elif op == ">":
        r = a > b
    else:
        r = a >= b
    return np.asarray(r, dtype=bool)


def _per_unique(values: list[Any], fn: Callable[[Any], Any]) -> dict[Any, Any]:
    """``fn`` once per distinct value: text columns repeat a few values many times."""
    return {v: fn(v) for v in set(values)}


def _map_text(arr: Any, fn: Callable[[str], str]) -> Any:
    if np.ndim(arr) == 0:
        return fn(arr) if isinstance(arr, str) else arr
    values = arr.tolist()
    table = _per_unique(values, lambda s: fn(s) if isinstance(s, str) else s)
    out = np.empty(len(values), dtype=object)
    out[:] = list(map(table.__getitem__, values))
    return out


def _test_text(arr: Any, test: Callable[[str], bool]) -> Any:
    if np.ndim(arr) == 0:
        return np.bool_(isinstance(arr, str) and test(arr))
    values = arr.tolist()
    distinct = set(values)
    if len(distinct) > len(values) // 4:  # names, addresses: memoising would not pay
        return np.fromiter((isinstance(s, str) and test(s) for s in values), bool, len(values))
    table = {v: isinstance(v, str) and test(v) for v in distinct}
    return np.fromiter(map(table.__getitem__, values), bool, count=len(values))


def _article(kind: str) -> str:
    return {"number": "a number", "text": "text", "boolean": "a condition"}.get(kind, kind)


def _quote_hint(col: _Val, other: _Val) -> str:
    if col.kind == _NUMBER and other.kind == _STRING:
        return " (remove the quotes to compare numbers)"
    if col.kind == _STRING and other.kind == _NUMBER:
        return " (put the value in quotes to compare text)"
    return ""
