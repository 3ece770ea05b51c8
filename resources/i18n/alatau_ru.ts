<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru_RU">
<context>
    <name>MainWindow</name>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Файл</translation>
    </message>
    <message>
        <source>&amp;Open…</source>
        <translation>&amp;Открыть…</translation>
    </message>
    <message>
        <source>&amp;Add layers…</source>
        <translation>&amp;Добавить слои…</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>&amp;Недавние</translation>
    </message>
    <message>
        <source>Open the Alatau &amp;sample</source>
        <translation>Открыть &amp;пример Алатау</translation>
    </message>
    <message>
        <source>Save &amp;Project As…</source>
        <translation>Сохранить &amp;проект как…</translation>
    </message>
    <message>
        <source>Save &amp;Screenshot</source>
        <translation>Сохранить &amp;снимок экрана</translation>
    </message>
    <message>
        <source>1x window size…</source>
        <translation>1× размер окна…</translation>
    </message>
    <message>
        <source>2x window size…</source>
        <translation>2× размер окна…</translation>
    </message>
    <message>
        <source>4x window size…</source>
        <translation>4× размер окна…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Выход</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Вид</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>Камера</translation>
    </message>
    <message>
        <source>Top</source>
        <translation>Сверху</translation>
    </message>
    <message>
        <source>Oblique</source>
        <translation>Наклонный</translation>
    </message>
    <message>
        <source>North-up</source>
        <translation>Север вверху</translation>
    </message>
    <message>
        <source>&amp;Fly to selection</source>
        <translation>&amp;Перелёт к выделенному</translation>
    </message>
    <message>
        <source>&amp;Places</source>
        <translation>&amp;Места</translation>
    </message>
    <message>
        <source>Alatau City overview</source>
        <translation>Обзор города Алатау</translation>
    </message>
    <message>
        <source>Top view (north up)</source>
        <translation>Вид сверху (север вверху)</translation>
    </message>
    <message>
        <source>Gate district</source>
        <translation>Район Gate</translation>
    </message>
    <message>
        <source>Golden district</source>
        <translation>Район Golden</translation>
    </message>
    <message>
        <source>Growing district</source>
        <translation>Район Growing</translation>
    </message>
    <message>
        <source>Green district</source>
        <translation>Район Green</translation>
    </message>
    <message>
        <source>Microdistricts along the A3</source>
        <translation>Микрорайоны вдоль трассы A3</translation>
    </message>
    <message>
        <source>&amp;Saved views</source>
        <translation>&amp;Сохранённые виды</translation>
    </message>
    <message>
        <source>Save current view…</source>
        <translation>Сохранить текущий вид…</translation>
    </message>
    <message>
        <source>&amp;X-ray buildings</source>
        <translation>&amp;Прозрачные здания</translation>
    </message>
    <message>
        <source>&amp;Measure</source>
        <translation>&amp;Измерить</translation>
    </message>
    <message>
        <source>&amp;Theme</source>
        <translation>&amp;Тема</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Светлая</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Тёмная</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;Язык</translation>
    </message>
    <message>
        <source>&amp;Panels</source>
        <translation>&amp;Панели</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>Слои</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>Сообщения</translation>
    </message>
    <message>
        <source>Inspector</source>
        <translation>Инспектор</translation>
    </message>
    <message>
        <source>Attributes</source>
        <translation>Атрибуты</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>Временная шкала</translation>
    </message>
    <message>
        <source>Construction &amp;charts</source>
        <translation>&amp;Графики строительства</translation>
    </message>
    <message>
        <source>Construction charts</source>
        <translation>Графики строительства</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>Тревоги</translation>
    </message>
    <message>
        <source>Live charts</source>
        <translation>Графики в реальном времени</translation>
    </message>
    <message>
        <source>&amp;Present</source>
        <translation>П&amp;резентация</translation>
    </message>
    <message>
        <source>&amp;Start presentation</source>
        <translation>&amp;Начать презентацию</translation>
    </message>
    <message>
        <source>Play camera &amp;tour</source>
        <translation>Воспроизвести &amp;облёт камеры</translation>
    </message>
    <message>
        <source>&amp;Add current view as slide…</source>
        <translation>&amp;Добавить текущий вид как слайд…</translation>
    </message>
    <message>
        <source>Fee&amp;ds</source>
        <translation>&amp;Потоки данных</translation>
    </message>
    <message>
        <source>&amp;Simulator</source>
        <translation>&amp;Симулятор</translation>
    </message>
    <message>
        <source>Connect to &amp;MQTT…</source>
        <translation>Подключиться к &amp;MQTT…</translation>
    </message>
    <message>
        <source>&amp;Replay log…</source>
        <translation>&amp;Воспроизвести журнал…</translation>
    </message>
    <message>
        <source>&amp;Disconnect all</source>
        <translation>&amp;Отключить все</translation>
    </message>
    <message>
        <source>Show status &amp;overlay</source>
        <translation>Показать &amp;наложение состояний</translation>
    </message>
    <message>
        <source>&amp;Alarms and event log</source>
        <translation>&amp;Тревоги и журнал событий</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Справка</translation>
    </message>
    <message>
        <source>&amp;About Alatau Twin</source>
        <translation>&amp;О программе Alatau Twin</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Поиск</translation>
    </message>
    <message>
        <source>Filter and style</source>
        <translation>Фильтр и стиль</translation>
    </message>
    <message>
        <source>Sun</source>
        <translation>Солнце</translation>
    </message>
    <message>
        <source>Shadows</source>
        <translation>Тени</translation>
    </message>
    <message>
        <source>Clear filter</source>
        <translation>Сбросить фильтр</translation>
    </message>
    <message>
        <source>Isolate selection</source>
        <translation>Только выделенное</translation>
    </message>
    <message>
        <source> Layer </source>
        <translation> Слой </translation>
    </message>
    <message>
        <source> Colour by </source>
        <translation> Цвет по </translation>
    </message>
</context>
<context>
    <name>Presenter</name>
    <message>
        <source>Buildings complete</source>
        <translation>Здания завершены</translation>
    </message>
    <message>
        <source>Network availability</source>
        <translation>Доступность сетей</translation>
    </message>
    <message>
        <source>Active alarms</source>
        <translation>Активные тревоги</translation>
    </message>
    <message>
        <source>as built</source>
        <translation>фактически</translation>
    </message>
    <message>
        <source>planned</source>
        <translation>по плану</translation>
    </message>
    <message>
        <source>No slides to present</source>
        <translation>Нет слайдов для показа</translation>
    </message>
    <message>
        <source>Added slide</source>
        <translation>Добавлен слайд</translation>
    </message>
    <message>
        <source>Add slide</source>
        <translation>Добавить слайд</translation>
    </message>
    <message>
        <source>Slide title:</source>
        <translation>Заголовок слайда:</translation>
    </message>
    <message>
        <source>Caption:</source>
        <translation>Подпись:</translation>
    </message>
</context>
</TS>
