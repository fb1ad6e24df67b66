"""Small derived and non-derived story pairs, Latin and Arabic script, made for these tests.

Each source is an agency-style story; the derived target trims it, changes a
few words, splits a sentence and adds a local line, as a newsroom rewrite
does; the independent target reports the same event in its own words.
"""

from __future__ import annotations

from pathlib import Path

from tests.factories import write

LATIN_SOURCE = """City council approves new budget for public transport

The city council on Monday approved a new budget of 120 million for public transport,
after a debate that lasted more than six hours. The mayor said the money would pay for
forty new buses, longer opening hours of the metro and cheaper tickets for students and
pensioners. Opposition members criticised the plan, saying that the council had ignored
the needs of the northern districts, where many residents still wait half an hour for a
bus. The budget also includes funds for repairing three bridges over the river and for a
new cycling lane along the main avenue. Work on the bridges is expected to begin in
spring and to last about two years, the transport department said in a statement.
"""

LATIN_DERIVED = """Council backs transport budget

The city council on Monday approved a new budget of 120 million for public transport.
The mayor said the money would pay for forty new buses, longer opening hours of the metro
and cheaper tickets for students. Opposition members criticised the plan, saying the
council had ignored the needs of the northern districts. The budget also includes funds
for repairing three bridges over the river. Work on the bridges is expected to begin in
spring, the department said.
"""

LATIN_INDEPENDENT = """Buses and bridges: what the vote means for commuters

Commuters in the north of town will not see much change soon. Residents we spoke to near
the old market told us that waiting for a bus in the evening is a daily ordeal, and few
believe that a handful of new vehicles will fix it. Students welcomed cheaper fares, but
shop owners on the avenue fear that a cycling lane will take away parking spaces their
customers depend on. Engineers have warned for years that the bridges are in poor shape;
repairs were postponed twice because of a lack of money. Our reporter asked the mayor's
office when the first buses would arrive and was told only that orders would be placed.
"""

URDU_SOURCE = """وزیر اعظم نے نئے تعلیمی منصوبے کا اعلان کر دیا

اسلام آباد ۔ پیر کو وزیر اعظم نے ملک بھر کے سرکاری اسکولوں کے لئے ایک نئے تعلیمی منصوبے
کا اعلان کیا جس کے تحت اگلے تین سال میں پانچ ہزار نئے اساتذہ بھرتی کئے جائیں گے ۔ انہوں
نے کہا کہ حکومت دیہی علاقوں میں لڑکیوں کی تعلیم پر خصوصی توجہ دے گی اور ہر ضلع میں ایک
نیا کالج قائم کیا جائے گا ۔ وزیر اعظم نے بتایا کہ منصوبے پر دو سو ارب روپے خرچ ہوں گے
اور اس کے لئے رقم وفاقی بجٹ سے فراہم کی جائے گی ۔ اپوزیشن رہنماؤں نے منصوبے کا خیر
مقدم کیا تاہم کہا کہ ماضی میں بھی ایسے اعلانات پر عمل نہیں ہوا ۔ وزیر تعلیم نے کہا کہ
منصوبے کی نگرانی کے لئے ایک کمیٹی بنائی جائے گی جو ہر تین ماہ بعد رپورٹ پیش کرے گی ۔
"""

URDU_DERIVED = """تعلیمی منصوبے کا اعلان

اسلام آباد ( نمائندہ خصوصی ) وزیر اعظم نے ملک بھر کے سرکاری اسکولوں کے لئے ایک نئے
تعلیمی منصوبے کا اعلان کیا جس کے تحت اگلے تین سال میں پانچ ہزار نئے اساتذہ بھرتی کئے
جائیں گے ۔ حکومت دیہی علاقوں میں لڑکیوں کی تعلیم پر خصوصی توجہ دے گی اور ہر ضلع میں
ایک نیا کالج قائم کیا جائے گا ۔ منصوبے پر دو سو ارب روپے خرچ ہوں گے ۔ وزیر تعلیم نے کہا
کہ منصوبے کی نگرانی کے لئے ایک کمیٹی بنائی جائے گی ۔
"""

URDU_INDEPENDENT = """اساتذہ کی کمی : گاؤں کے اسکول کب بدلیں گے

ہمارے نامہ نگار نے جب ضلع کے ایک گاؤں کا دورہ کیا تو وہاں کا واحد اسکول دو کمروں پر
مشتمل تھا اور ایک ہی استاد ساٹھ بچوں کو پڑھا رہا تھا ۔ والدین کا کہنا ہے کہ برسوں سے
وعدے سنتے آ رہے ہیں مگر حالات نہیں بدلے ۔ ماہرین تعلیم کے مطابق صرف بھرتیوں سے مسئلہ
حل نہیں ہو گا جب تک اساتذہ کی تربیت اور عمارتوں کی مرمت پر بھی رقم نہ لگائی جائے ۔
مقامی لوگوں نے مطالبہ کیا کہ لڑکیوں کے لئے الگ اسکول قریب بنایا جائے تاکہ انہیں دور نہ
جانا پڑے ۔
"""

PAIRS = {
    "latin": (LATIN_SOURCE, LATIN_DERIVED, LATIN_INDEPENDENT),
    "urdu": (URDU_SOURCE, URDU_DERIVED, URDU_INDEPENDENT),
}


def write_pairs(root: Path) -> tuple[Path, Path]:
    """``root/wire`` holds the sources, ``root/papers`` the derived and independent targets."""
    for name, (source, derived, independent) in PAIRS.items():
        write(root / "wire" / f"{name}.txt", source)
        write(root / "papers" / f"{name}-derived.txt", derived)
        write(root / "papers" / f"{name}-independent.txt", independent)
    return root / "papers", root / "wire"
