"""Write the example platform exports of ``examples/qualtrics`` and ``examples/limesurvey``.

The answers are drawn once (seeded) and written twice: as the platform would export them
(Qualtrics 'Export data' CSV, numeric values at baseline and choice text at the post-test;
LimeSurvey 'Export responses' CSV, answer codes at baseline and full answers at the post-test),
and as a plain hand-coded table of item values (:func:`answers`), which the tests ingest beside
the exports to check that both give the same scores. All people are fictitious: e-mail
addresses use example.org, IP addresses the documentation range 192.0.2.0/24.

Run ``python tests/tools/platform_examples.py`` from the repository root to write the files
again; ``tests/test_platforms.py`` checks that the committed files equal what this writes.
"""

from __future__ import annotations

import csv
import io
import json
import string
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20241015
N = 24
WHO5 = [f"who5_{i}" for i in range(1, 6)]
BRS = [f"brs_{i}" for i in range(1, 7)]
APGAR = [f"apgar_{i}" for i in range(1, 6)]
WHO5_NL = ["nooit", "af en toe", "minder dan de helft van de tijd",
           "meer dan de helft van de tijd", "meestal", "altijd"]
BRS_NL = ["helemaal mee oneens", "mee oneens", "neutraal", "mee eens", "helemaal mee eens"]
APGAR_NL = ["bijna nooit", "soms", "bijna altijd"]
DONT_KNOW = "weet niet"
WAVES = {"t0": "2024-09-16", "t1": "2025-01-20"}


def _draw(rng, n: int, items: list[str], low: int, high: int, base: np.ndarray) -> pd.DataFrame:
    values = np.clip(np.rint(base[:, None] + rng.normal(0, 0.8, (n, len(items)))), low, high)
    frame = pd.DataFrame(values, columns=items)
    frame = frame.mask(rng.random(frame.shape) < 0.03)  # a skipped question now and then
    return frame


def answers(platform: str) -> dict[str, pd.DataFrame]:
    """The true answers per wave: ``respondent, submitted_at`` and one column per item (the
    instrument's values; NaN skipped, 9 'weet niet')."""
    rng = np.random.default_rng(SEED + (0 if platform == "qualtrics" else 1))
    if platform == "qualtrics":
        ids = [f"VO-{i:04d}" for i in range(1, N + 1)]
    else:
        ids = ["".join(rng.choice(list(string.ascii_letters + string.digits), 15))
               for _ in range(N)]
    level = rng.normal(0, 1, N)
    out = {}
    for k, (wave, day) in enumerate(WAVES.items()):
        keep = np.arange(N) if k == 0 else np.sort(rng.choice(N, N - 4, replace=False))
        base = level[keep] + 0.3 * k
        parts = [pd.DataFrame({"respondent": [ids[i] for i in keep]})]
        if platform == "qualtrics":
            parts += [_draw(rng, len(keep), WHO5, 0, 5, 2.6 + 0.8 * base),
                      _draw(rng, len(keep), BRS, 1, 5, 3.2 + 0.6 * base)]
        else:
            parts += [_draw(rng, len(keep), BRS, 1, 5, 3.2 + 0.6 * base),
                      _draw(rng, len(keep), APGAR, 0, 2, 1.2 + 0.5 * base)]
        frame = pd.concat(parts, axis=1)
        if k == 1:  # a few 'weet niet' at the post-test
            col = BRS[1]
            frame.loc[frame.index[[2, 7]], col] = 9
        minutes = np.sort(rng.integers(0, 5 * 24 * 60, len(keep)))
        frame.insert(1, "submitted_at", [
            (pd.Timestamp(day) + pd.Timedelta(minutes=int(m) + 8 * 60)).strftime(
                "%Y-%m-%d %H:%M:%S") for m in minutes])
        out[wave] = frame
    return out


def _csv(rows: list[list], quote_all: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n",
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return buffer.getvalue()


def _cell(value, texts: list[str] | None, offset: int, low: int) -> str:
    if pd.isna(value):
        return ""
    if value == 9:
        return DONT_KNOW if texts else "9"
    return texts[int(value) - low] if texts else str(int(value) + offset)


_Q_META = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
           "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
           "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
           "DistributionChannel", "UserLanguage"]
_Q_TEXT = ["Start Date", "End Date", "Response Type", "IP Address", "Progress",
           "Duration (in seconds)", "Finished", "Recorded Date", "Response ID",
           "Recipient Last Name", "Recipient First Name", "Recipient Email",
           "External Data Reference", "Location Latitude", "Location Longitude",
           "Distribution Channel", "User Language"]
_Q_IMPORT = ["startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished",
             "recordedDate", "_recordId", "recipientLastName", "recipientFirstName",
             "recipientEmail", "externalDataReference", "locationLatitude",
             "locationLongitude", "distributionChannel", "userLanguage"]
_TZ = {"startDate", "endDate", "recordedDate"}


def qualtrics_export(wave: str, frame: pd.DataFrame) -> str:
    """A Qualtrics 'Export data' CSV: numeric values at t0 (WHO-5 choices coded 1..6), choice
    text at t1; with a preview, a spam and unfinished responses among the respondents."""
    rng = np.random.default_rng(SEED + (10 if wave == "t0" else 11))
    numeric = wave == "t0"
    item_cols = [f"Q1_{i}" for i in range(1, 6)] + [f"Q2_{i}" for i in range(1, 7)]
    header = _Q_META + item_cols
    texts = _Q_TEXT + [f"Hoe voelde je je de afgelopen twee weken? - uitspraak {i}"
                       for i in range(1, 6)] + [f"Veerkracht - uitspraak {i}" for i in range(1, 7)]
    imports = [json.dumps({"ImportId": i, **({"timeZone": "Europe/Amsterdam"} if i in _TZ
                                              else {})}, separators=(",", ":"))
               for i in _Q_IMPORT] + [json.dumps({"ImportId": f"QID{c[1]}_{c[3:]}"},
                                                 separators=(",", ":")) for c in item_cols]
    rows = [header, texts, imports]

    def record(status, finished, progress, ref, when, values, n):
        end = pd.Timestamp(when)
        duration = int(rng.integers(180, 900))
        start = end - pd.Timedelta(seconds=duration)
        number = n + 1
        meta = [start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S"),
                status, f"192.0.2.{10 + number}", str(progress), str(duration), finished,
                end.strftime("%Y-%m-%d %H:%M:%S"),
                "R_" + "".join(rng.choice(list(string.ascii_letters + string.digits), 15)),
                f"Achternaam{number}", f"Voornaam{number}", f"leerling{number}@example.org",
                ref, f"52.{rng.integers(10**5, 10**6)}", f"5.{rng.integers(10**5, 10**6)}",
                "preview" if status in ("1", "Survey Preview") else "email", "NL"]
        who5 = [_cell(v, None if numeric else WHO5_NL, 1, 0) for v in values[:5]]
        brs = [_cell(v, None if numeric else BRS_NL, 0, 1) for v in values[5:]]
        return meta + who5 + brs

    ok_status = "0" if numeric else "IP Address"
    done, not_done = ("1", "0") if numeric else ("True", "False")
    body = [record(ok_status, done, 100, r.respondent, r.submitted_at,
                   [getattr(r, c) for c in WHO5 + BRS], i)
            for i, r in enumerate(frame.itertuples(index=False))]
    partial = [np.nan] * 11
    day = WAVES[wave] + " 09:30:00"
    extra = [record("1" if numeric else "Survey Preview", done, 100, "", day, [3] * 5 + [3] * 6,
                    90),
             record(ok_status, not_done, 36, "VO-0101", day, [2] * 4 + partial[4:], 91)]
    if numeric:
        extra += [record("8", done, 100, "VO-0102", day, [1] * 5 + [1] * 6, 92),
                  record(ok_status, not_done, 18, "VO-0103", day, [4] * 2 + partial[2:], 93)]
    for position, row in zip((0, 5, 11, 17), extra, strict=False):
        body.insert(position, row)
    return "\ufeff" + _csv(rows + body)


_L_META = ["id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate",
           "datestamp", "ipaddr", "refurl"]


def limesurvey_export(wave: str, frame: pd.DataFrame) -> str:
    """A LimeSurvey 'Export responses' CSV with question codes as headings: answer codes at t0
    (A1..A5, A1..A3), full answers at t1; unsubmitted responses have no submitdate."""
    rng = np.random.default_rng(SEED + (20 if wave == "t0" else 21))
    codes = wave == "t0"
    items = [f"G01Q01[SQ{i:03d}]" for i in range(1, 7)] + [f"G02Q02[SQ{i:03d}]"
                                                              for i in range(1, 6)]
    header = _L_META + items + ["interviewtime", "groupTime101", "groupTime102"]

    def record(n, token, submitted, values, lastpage):
        end = pd.Timestamp(submitted) if submitted else pd.Timestamp(WAVES[wave] + " 11:00")
        start = end - pd.Timedelta(seconds=int(rng.integers(120, 800)))
        brs = [_cell(v, None, 0, 1) if not codes else ("" if pd.isna(v) else f"A{int(v)}")
               for v in values[:6]]
        if not codes:
            brs = [_cell(v, BRS_NL, 0, 1) for v in values[:6]]
        apgar = [("" if pd.isna(v) else f"A{int(v) + 1}") if codes else
                 _cell(v, APGAR_NL, 0, 0) for v in values[6:]]
        seconds = int((end - start).total_seconds())
        return ([str(n), submitted, str(lastpage), "nl", str(rng.integers(10**8, 10**9)), token,
                 start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S"),
                 f"192.0.2.{100 + n}", "https://www.example.org/nieuwsbrief"]
                + brs + apgar + [str(seconds), str(seconds // 2), str(seconds - seconds // 2)])

    body = [record(i + 1, r.respondent, r.submitted_at, [getattr(r, c) for c in BRS + APGAR], 2)
            for i, r in enumerate(frame.itertuples(index=False))]
    partial = [np.nan] * 11
    body.insert(3, record(len(body) + 1, "zz9Unfinished01", "", [2] * 6 + partial[6:], 1))
    if codes:
        body.insert(9, record(len(body) + 1, "zz9Unfinished02", "", [4] * 3 + partial[3:], 1))
    return _csv([header] + body, quote_all=True)


def write_examples(root: Path) -> list[Path]:
    """Write every example export under ``root`` (the repository's ``examples/``)."""
    written = []
    for platform, export, name in (("qualtrics", qualtrics_export, "veerkracht_{wave}.csv"),
                                   ("limesurvey", limesurvey_export,
                                    "results-survey{wave}.csv")):
        for wave, frame in answers(platform).items():
            path = root / platform / "data" / "raw" / wave / name.format(
                wave=wave if platform == "qualtrics" else {"t0": "415236", "t1": "587341"}[wave])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(export(wave, frame).encode("utf-8"))
            written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_examples(Path("examples")):
        print(written_path)
