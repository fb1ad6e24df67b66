"""Write the demo folder ``examples/articles`` (run from anywhere; deterministic).

The stories are invented for this project. One of them, about bike lanes, is
re-published by three other outlets the ways real wire copies are: another
header and footer, a new headline, truncation, cp1252 with curly quotes,
mojibake, an HTML page and a JSON Lines export. The other stories are
distinct, three of them short briefs under one outlet's long disclaimer (which
the deduplicator must recognise as boilerplate, not as a shared story).
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  (registers the "sloppy-windows-1252" codec)

OUT = Path(__file__).resolve().parent / "articles"

BIKE_TITLE = "Council Approves Protected Bike Lanes on Harbor Street After Long Debate"
BIKE = [
    "The city council voted 7 to 2 on Tuesday night to build protected bike lanes along the "
    "full length of Harbor Street, ending a debate that has divided shop owners and cyclists "
    "for more than three years.",
    "The plan removes 140 parking spaces and adds concrete barriers between traffic and a "
    "two-way cycle track on the street’s east side. Construction is expected to start in "
    "March and to take about eight months, city engineers said.",
    "“We heard every side of this, and we heard it many times,” said council member Rosa "
    "Delgado, who sponsored the measure. “In the end the numbers on injuries made the "
    "decision for us.” Four cyclists were seriously hurt on Harbor Street last year.",
    "Business owners along the corridor had warned that losing parking would drive away "
    "customers. The council added a loading zone on every block and promised a review of "
    "sales tax receipts one year after the lanes open.",
    "The project will cost $4.2 million, most of it from a state transportation grant that "
    "would have expired at the end of the year had the council not acted.",
    "Opponents said they would keep pressing for changes to the design during the public "
    "comment period, which runs until the end of next month.",
]

STORIES = {
    "drought": (
        "Drought Forces Valley Ranchers to Sell Cattle Early",
        "Published: 14 June 2023",
        [
            "Ranchers across the northern valley are selling cattle months ahead of schedule "
            "as a third dry summer leaves pastures brown and stock ponds empty.",
            "At the county auction yard on Monday, more than 2,300 head changed hands, nearly "
            "twice the usual June volume. Prices fell by about 11 percent from last month.",
            "“You either sell them now or you buy hay at prices nobody can pay,” said Tom "
            "Ekberg, whose family has run cattle near Millbrook since 1921.",
            "State agriculture officials said emergency grazing permits on public land would "
            "be issued from next week, but warned that the relief would be limited.",
        ],
    ),
    "library": (
        "Eastside Library Reopens After Two-Year Renovation",
        "2023-09-02",
        [
            "The Eastside branch library reopened on Saturday after a renovation that added a "
            "children’s wing, a recording studio and 60 new public computers.",
            "Hundreds of residents lined up before the doors opened at 10 a.m. Some had "
            "borrowed books from the branch for more than forty years.",
            "The $9 million project was paid for by a bond measure approved by voters in "
            "2019. Work was delayed by six months when crews found asbestos in the old roof.",
            "The branch will now stay open until 9 p.m. on weekdays, two hours later than "
            "before, library director Anita Sharma said.",
        ],
    ),
    "thermostat": (
        "Startup Recalls 40,000 Smart Thermostats Over Overheating Risk",
        "March 8, 2024",
        [
            "A home-technology startup is recalling about 40,000 smart thermostats after "
            "reports that the devices can overheat and scorch the wall behind them.",
            "The company, Brightnest, said it had received 23 reports of overheating, "
            "including two small fires that caused minor property damage. No injuries have "
            "been reported.",
            "Owners should switch the thermostat off at the breaker and contact the company "
            "for a free replacement, the Consumer Product Safety Commission said.",
            "The affected units were sold online and in hardware stores between January and "
            "October of last year for about $149.",
        ],
    ),
    "marathon": (
        "Runner, 71, Sets Age-Group Record at City Marathon",
        "Sunday, October 15, 2023",
        [
            "Margit Olsen crossed the finish line of the city marathon in 3 hours, 12 minutes "
            "and 40 seconds on Sunday, a national record for women aged 70 to 74.",
            "Olsen, a retired schoolteacher, took up running at 52 after her doctor told her "
            "to find a way to lower her blood pressure.",
            "“I am not fast, I am just stubborn,” she said, wrapped in a foil blanket at the "
            "finish. She plans to run in Berlin next year.",
        ],
    ),
    "storm": (
        "Storm Knocks Out Power to 12,000 Homes",
        "November 20, 2023",
        [
            "A fast-moving storm brought down trees and power lines across the county on "
            "Monday evening, leaving about 12,000 homes without electricity.",
            "Wind gusts reached 68 miles per hour at the airport, the weather service said. "
            "Two roads were closed after trees fell across them.",
            "The utility said most customers should have power back by Wednesday, though "
            "some rural areas could wait until the weekend.",
        ],
    ),
    "sleep": (
        "Study Links Teenagers' Sleep to Memory",
        "2024-01-22",
        [
            "Teenagers who slept at least eight hours a night did markedly better on memory "
            "tests than those who slept six hours or less, a university study has found.",
            "Researchers followed 410 students aged 13 to 17 for one school year, tracking "
            "their sleep with wrist monitors and testing them every month.",
            "The gap was largest for tasks that required remembering lists of words, said "
            "the study's lead author, Dr. Kwame Mensah.",
            "The authors recommend that schools consider later start times, a change some "
            "districts have already made.",
        ],
    ),
}

DISCLAIMER = [
    "The Valley Courier publishes community briefs as a public service. Items are "
    "submitted by local organisations and are edited only for length and style.",
    "The Valley Courier does not verify every claim made in submitted items and is not "
    "responsible for changes to dates, times or locations made after publication.",
    "To submit a brief, write to our community desk at least ten days before your event. "
    "We cannot guarantee that every item will be published.",
]
BRIEFS = {
    "brief-choir": (
        "Community Choir Seeks New Members",
        "The Millbrook Community Choir is looking for tenors and basses for its winter "
        "concert. Rehearsals are on Thursday evenings at the old town hall; no audition "
        "is needed.",
    ),
    "brief-cleanup": (
        "River Cleanup Planned for Saturday",
        "Volunteers will meet at the boat ramp at 8 a.m. on Saturday to clear litter "
        "from the riverbank. Gloves and bags are provided, and lunch is served at noon.",
    ),
    "brief-blood-drive": (
        "Blood Drive at the Fire Station",
        "The regional blood bank will hold a drive at the Millbrook fire station from noon "
        "to 6 p.m. on June 9. Donors should bring photo identification and eat a full meal "
        "beforehand.",
    ),
}


def txt(
    promo: str | None,
    title: str,
    date: str | None,
    paras: list[str],
    footer: list[str] | None = None,
    *,
    wrap: int | None = None,
    crlf: bool = False,
) -> str:
    blocks = [b for b in (promo, title, date) if b]
    for p in paras:
        blocks.append(_wrap(p, wrap) if wrap else p)
    blocks += footer or []
    text = "\n\n".join(blocks) + "\n"
    return text.replace("\n", "\r\n") if crlf else text


def _wrap(text: str, width: int) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "harbor-daily").mkdir(parents=True)
    (OUT / "metro-wire").mkdir()
    (OUT / "valley-courier").mkdir()
    (OUT / "exports").mkdir()

    def write(rel: str, data: bytes) -> None:
        (OUT / rel).write_bytes(data)

    # The original, in the layout the tool is built for.
    write(
        "harbor-daily/bike-lanes.txt",
        txt(
            "Join our new Harbor Daily WhatsApp channel and never miss a local story!",
            BIKE_TITLE,
            "August 03, 2023",
            BIKE,
        ).encode("utf-8"),
    )
    # A wire copy: another outlet's header and footer, a new headline, truncated,
    # saved as cp1252 with CRLF line ends.
    write(
        "metro-wire/harbor-street-vote.txt",
        txt(
            "METRO WIRE — Your region, every hour",
            "Harbor Street Will Get Protected Bike Lanes, Council Decides",
            "Aug. 3, 2023",
            BIKE[:4],
            ["© 2023 Metro Wire. All rights reserved. Republication requires permission."],
            crlf=True,
        ).encode("cp1252"),
    )
    # A copy mangled into mojibake (UTF-8 read as Windows-1252 the way browsers
    # do, undefined bytes kept as C1 controls, and saved again), hard-wrapped.
    mangled = txt(None, BIKE_TITLE, "3 August 2023", BIKE, wrap=72)
    write(
        "valley-courier/bike-lanes-harbor.txt",
        mangled.encode("utf-8").decode("sloppy-windows-1252").encode("utf-8"),
    )
    # The same story as an HTML page.
    paras_html = "\n".join(f"<p>{p.replace('&', '&amp;')}</p>" for p in BIKE[:5])
    write(
        "metro-wire/bike-lanes.html",
        f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{BIKE_TITLE} | Metro Wire</title>
<meta property="article:published_time" content="2023-08-03T18:00:00Z">
</head><body>
<nav><a href="/">Home</a> <a href="/local">Local</a> <a href="/sports">Sports</a></nav>
<article><h1>{BIKE_TITLE}</h1>
<p class="byline">By Dana Whitfield</p>
{paras_html}
</article>
<footer>Metro Wire &copy; 2023. Subscribe for unlimited access.</footer>
</body></html>
""".encode(),
    )

    for key in ("drought", "library", "thermostat"):
        title, date, paras = STORIES[key]
        write(f"harbor-daily/{key}.txt", txt(None, title, date, paras).encode("utf-8"))
    title, date, paras = STORIES["marathon"]
    write(
        "metro-wire/marathon.txt", b"\xff\xfe" + txt(None, title, date, paras).encode("utf-16-le")
    )
    title, date, paras = STORIES["storm"]
    write(
        "metro-wire/storm.txt.gz",
        gzip.compress(txt(None, title, date, paras).encode("utf-8"), mtime=0),
    )
    for key, (title, body) in BRIEFS.items():
        write(
            f"valley-courier/{key}.txt",
            txt(None, title, "June 1, 2023", [body, *DISCLAIMER]).encode("utf-8"),
        )

    rows = [
        {
            "id": "exp-1",
            "title": STORIES["sleep"][0],
            "date": STORIES["sleep"][1],
            "text": "\n\n".join(STORIES["sleep"][2]),
        },
        {
            "id": "exp-2",
            "title": "Bike Lanes Approved for Harbor Street",
            "date": "2023-08-04",
            "text": "\n\n".join(BIKE[:5]) + "\n\nThis story was first published by Harbor Daily.",
        },
        {
            "id": "exp-3",
            "date": "2023-06-14",
            "text": STORIES["drought"][0] + "\n" + "\n".join(STORIES["drought"][2]),
        },
    ]
    write(
        "exports/feed.jsonl",
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode(),
    )


if __name__ == "__main__":
    main()
