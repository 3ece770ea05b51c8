<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="kk_KZ">
<context>
    <name>MainWindow</name>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Файл</translation>
    </message>
    <message>
        <source>&amp;Open…</source>
        <translation>&amp;Ашу…</translation>
    </message>
    <message>
        <source>&amp;Add layers…</source>
        <translation>Қабаттарды &amp;қосу…</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>&amp;Соңғы ашылғандар</translation>
    </message>
    <message>
        <source>Open the Alatau &amp;sample</source>
        <translation>Алатау &amp;үлгісін ашу</translation>
    </message>
    <message>
        <source>Save &amp;Project As…</source>
        <translation>&amp;Жобаны басқаша сақтау…</translation>
    </message>
    <message>
        <source>Save &amp;Screenshot</source>
        <translation>Экран &amp;суретін сақтау</translation>
    </message>
    <message>
        <source>1x window size…</source>
        <translation>Терезе өлшемі 1×…</translation>
    </message>
    <message>
        <source>2x window size…</source>
        <translation>Терезе өлшемі 2×…</translation>
    </message>
    <message>
        <source>4x window size…</source>
        <translation>Терезе өлшемі 4×…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Шығу</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Көрініс</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>Камера</translation>
    </message>
    <message>
        <source>Top</source>
        <translation>Жоғарыдан</translation>
    </message>
    <message>
        <source>Oblique</source>
        <translation>Көлбеу</translation>
    </message>
    <message>
        <source>North-up</source>
        <translation>Солтүстік жоғарыда</translation>
    </message>
    <message>
        <source>&amp;Fly to selection</source>
        <translation>Таңдалғанға &amp;ұшу</translation>
    </message>
    <message>
        <source>&amp;Places</source>
        <translation>&amp;Орындар</translation>
    </message>
    <message>
        <source>Alatau City overview</source>
        <translation>Алатау қаласына шолу</translation>
    </message>
    <message>
        <source>Top view (north up)</source>
        <translation>Жоғарыдан көрініс (солтүстік жоғарыда)</translation>
    </message>
    <message>
        <source>Gate district</source>
        <translation>Gate ауданы</translation>
    </message>
    <message>
        <source>Golden district</source>
        <translation>Golden ауданы</translation>
    </message>
    <message>
        <source>Growing district</source>
        <translation>Growing ауданы</translation>
    </message>
    <message>
        <source>Green district</source>
        <translation>Green ауданы</translation>
    </message>
    <message>
        <source>Microdistricts along the A3</source>
        <translation>A3 бойындағы шағын аудандар</translation>
    </message>
    <message>
        <source>&amp;Saved views</source>
        <translation>&amp;Сақталған көріністер</translation>
    </message>
    <message>
        <source>Save current view…</source>
        <translation>Ағымдағы көріністі сақтау…</translation>
    </message>
    <message>
        <source>&amp;X-ray buildings</source>
        <translation>&amp;Мөлдір ғимараттар</translation>
    </message>
    <message>
        <source>&amp;Measure</source>
        <translation>&amp;Өлшеу</translation>
    </message>
    <message>
        <source>&amp;Theme</source>
        <translation>&amp;Тақырып</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Ашық</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Қараңғы</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;Тіл</translation>
    </message>
    <message>
        <source>&amp;Panels</source>
        <translation>&amp;Панельдер</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>Қабаттар</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>Хабарламалар</translation>
    </message>
    <message>
        <source>Inspector</source>
        <translation>Инспектор</translation>
    </message>
    <message>
        <source>Attributes</source>
        <translation>Атрибуттар</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>Уақыт шкаласы</translation>
    </message>
    <message>
        <source>Construction &amp;charts</source>
        <translation>Құрылыс &amp;графиктері</translation>
    </message>
    <message>
        <source>Construction charts</source>
        <translation>Құрылыс графиктері</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>Дабылдар</translation>
    </message>
    <message>
        <source>Live charts</source>
        <translation>Нақты уақыт графиктері</translation>
    </message>
    <message>
        <source>&amp;Present</source>
        <translation>&amp;Таныстырылым</translation>
    </message>
    <message>
        <source>&amp;Start presentation</source>
        <translation>Таныстырылымды &amp;бастау</translation>
    </message>
    <message>
        <source>Play camera &amp;tour</source>
        <translation>Камера &amp;турын ойнату</translation>
    </message>
    <message>
        <source>&amp;Add current view as slide…</source>
        <translation>Ағымдағы көріністі слайд ретінде &amp;қосу…</translation>
    </message>
    <message>
        <source>Fee&amp;ds</source>
        <translation>&amp;Деректер ағындары</translation>
    </message>
    <message>
        <source>&amp;Simulator</source>
        <translation>&amp;Симулятор</translation>
    </message>
    <message>
        <source>Connect to &amp;MQTT…</source>
        <translation>&amp;MQTT-ге қосылу…</translation>
    </message>
    <message>
        <source>&amp;Replay log…</source>
        <translation>&amp;Журналды қайта ойнату…</translation>
    </message>
    <message>
        <source>&amp;Disconnect all</source>
        <translation>Барлығын &amp;ажырату</translation>
    </message>
    <message>
        <source>Show status &amp;overlay</source>
        <translation>Күй &amp;қабатын көрсету</translation>
    </message>
    <message>
        <source>&amp;Alarms and event log</source>
        <translation>&amp;Дабылдар мен оқиғалар журналы</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Анықтама</translation>
    </message>
    <message>
        <source>&amp;About Alatau Twin</source>
        <translation>Alatau Twin &amp;туралы</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Іздеу</translation>
    </message>
    <message>
        <source>Filter and style</source>
        <translation>Сүзгі және стиль</translation>
    </message>
    <message>
        <source>Sun</source>
        <translation>Күн</translation>
    </message>
    <message>
        <source>Shadows</source>
        <translation>Көлеңкелер</translation>
    </message>
    <message>
        <source>Clear filter</source>
        <translation>Сүзгіні тазарту</translation>
    </message>
    <message>
        <source>Isolate selection</source>
        <translation>Тек таңдалғанды көрсету</translation>
    </message>
    <message>
        <source> Layer </source>
        <translation> Қабат </translation>
    </message>
    <message>
        <source> Colour by </source>
        <translation> Түстеу </translation>
    </message>
</context>
<context>
    <name>Presenter</name>
    <message>
        <source>Buildings complete</source>
        <translation>Аяқталған ғимараттар</translation>
    </message>
    <message>
        <source>Network availability</source>
        <translation>Желілердің қолжетімділігі</translation>
    </message>
    <message>
        <source>Active alarms</source>
        <translation>Белсенді дабылдар</translation>
    </message>
    <message>
        <source>as built</source>
        <translation>нақты</translation>
    </message>
    <message>
        <source>planned</source>
        <translation>жоспар бойынша</translation>
    </message>
    <message>
        <source>No slides to present</source>
        <translation>Көрсететін слайд жоқ</translation>
    </message>
    <message>
        <source>Added slide</source>
        <translation>Слайд қосылды</translation>
    </message>
    <message>
        <source>Add slide</source>
        <translation>Слайд қосу</translation>
    </message>
    <message>
        <source>Slide title:</source>
        <translation>Слайд тақырыбы:</translation>
    </message>
    <message>
        <source>Caption:</source>
        <translation>Сипаттама:</translation>
    </message>
</context>
</TS>
