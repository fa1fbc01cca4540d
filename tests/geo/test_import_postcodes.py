"""manage.py import_postcodes: ONS Postcode Directory and Code-Point Open files."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from linkwell.geo import Coordinates, Postcode, lookup_postcode

ROOT = Path(__file__).resolve().parents[2]

ONSPD_HEADER = "pcd,pcd2,pcds,dointr,doterm,oseast1m,osnrth1m,osgrdind,lat,long,imd\n"
ONSPD_ROWS = [
    "SW1A1AA,SW1A 1AA,SW1A 1AA,199001,,529090,179645,1,51.501009,-0.141588,17403\n",
    "EC1A1BB,EC1A 1BB,EC1A 1BB,199001,,532030,181821,1,51.520089,-0.097211,26600\n",
    "\n",
    "B33 8TH,B33  8TH,B33 8TH,199001,,412500,286300,1,52.479920,-1.786110,5000\n",
    "ZE2 9ZZ,ZE2  9ZZ,ZE2 9ZZ,200001,,,,9,99.999999,0.000000,\n",  # no grid reference
    "NOTAPC,NOT A PC,NOT A PC,199001,,529090,179645,1,51.5,-0.14,1\n",
    "M1  1AE,M1   1AE,M1 1AE,199001,,384000,398000,1,45.000000,200.000000,1\n",
    "CR2 6XH,CR2  6XH,CR2 6XH,199001,,533000,162000,1,north,-0.08,1\n",
    "DN551PT,DN55 1PT\n",
]
CODEPOINT_ROWS = [
    '"WC2N5DU",10,530047,180422,"E92000001","E19000003","E18000007","","E09000033","E05000644"\n',
    '"B1  1BB",10,406750,286700,"E92000001","E19000001","E18000005","","E08000025","E05011151"\n',
    '"ZE2 9XX",90,0,0,"S92000003","","","","S12000027","S13002773"\n',
    '"M1  1AE",10,9999999,100,"E92000001","","","","",""\n',
    '"123",10,400000,300000,"E92000001","","","","",""\n',
    '"EC1A1BB",10,abc,180000,"E92000001","","","","",""\n',
]
CODEPOINT_HEADER = (
    "Postcode,Positional_quality_indicator,Eastings,Northings,Country_code,"
    "NHS_regional_HA_code,NHS_HA_code,Admin_county_code,Admin_district_code,Admin_ward_code\n"
)


def write(tmp_path: Path, name: str, lines: list[str], *, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text("".join(lines), encoding=encoding)
    return path


def run(path, *args) -> str:
    out = StringIO()
    call_command("import_postcodes", str(path), *args, stdout=out)
    return out.getvalue()


def coordinates(postcode: str) -> tuple[float, float]:
    row = Postcode.objects.get(postcode=postcode)
    return row.latitude, row.longitude


def test_an_onspd_file_imports_the_good_rows_and_reports_the_bad(db, tmp_path):
    path = write(tmp_path, "ONSPD.csv", [ONSPD_HEADER, *ONSPD_ROWS])
    out = run(path)
    assert set(Postcode.objects.values_list("postcode", "source")) == {
        ("SW1A 1AA", "onspd"),
        ("EC1A 1BB", "onspd"),
        ("B33 8TH", "onspd"),
    }
    assert coordinates("SW1A 1AA") == (51.501009, -0.141588)
    assert lookup_postcode("ec1a1bb") == Coordinates(latitude=51.520089, longitude=-0.097211)
    assert "Imported 3 postcodes from ONS Postcode Directory file ONSPD.csv" in out
    assert "Skipped 5 rows:" in out
    for reason in [
        "no coordinates: 1",
        "malformed postcode: 1",
        "impossible coordinates: 1",
        "coordinates are not numbers: 1",
        "missing columns: 1",
    ]:
        assert reason in out
    # The surprising rows are listed by line; a postcode without a grid reference is normal.
    assert "line 7: malformed postcode ('NOT A PC')" in out
    assert "line 8: impossible coordinates (latitude 45, longitude 200)" in out
    assert "line 9: coordinates are not numbers ('north')" in out
    assert "line 10: missing columns (2 columns)" in out
    assert "line 6" not in out


def test_importing_again_updates_instead_of_duplicating(db, tmp_path):
    path = write(tmp_path, "onspd.csv", [ONSPD_HEADER, *ONSPD_ROWS])
    run(path)
    first = Postcode.objects.get(postcode="SW1A 1AA")
    run(path)
    assert Postcode.objects.count() == 3
    # A newer edition moves a postcode's centre a little.
    moved = ONSPD_ROWS[0].replace("51.501009,-0.141588", "51.501100,-0.141600")
    path = write(tmp_path, "onspd.csv", [ONSPD_HEADER, moved, *ONSPD_ROWS[1:]])
    run(path)
    assert Postcode.objects.count() == 3
    again = Postcode.objects.get(postcode="SW1A 1AA")
    assert again.pk == first.pk
    assert (again.latitude, again.longitude) == (51.5011, -0.1416)
    assert again.updated_at >= first.updated_at


def test_an_import_takes_over_postcodes_from_other_sources(db, tmp_path):
    Postcode.objects.create(postcode="SW1A 1AA", latitude=51.0, longitude=-0.1, source="http")
    Postcode.objects.create(postcode="RV1 1AA", latitude=52.48, longitude=-1.9, source="demo")
    run(write(tmp_path, "onspd.csv", [ONSPD_HEADER, ONSPD_ROWS[0]]))
    assert Postcode.objects.get(postcode="SW1A 1AA").source == "onspd"
    assert Postcode.objects.get(postcode="RV1 1AA").source == "demo"


def test_onspd_header_variants(db, tmp_path):
    # Older editions: upper-case names, only the 7-character pcd, a byte-order mark, CRLF.
    lines = ["PCD,LAT,LONG\r\n", "SW1A1AA,51.501009,-0.141588\r\n", "B338TH,52.47992,-1.78611\r\n"]
    path = write(tmp_path, "onspd.csv", lines, encoding="utf-8-sig")
    out = run(path, "--format", "onspd")
    assert "Imported 2 postcodes" in out
    assert coordinates("B33 8TH") == (52.47992, -1.78611)


def test_a_codepoint_file_is_converted_from_the_national_grid(db, tmp_path):
    path = write(tmp_path, "wc.csv", CODEPOINT_ROWS)
    out = run(path)  # no header: told from the numbers in columns 3 and 4
    # Trafalgar Square. (51.5085, -0.1257, often quoted as "London", is about 150 m north-east:
    # it is E 530171, N 180506 on the grid.)
    latitude, longitude = coordinates("WC2N 5DU")
    assert latitude == pytest.approx(51.5078, abs=0.0005)
    assert longitude == pytest.approx(-0.1275, abs=0.0005)
    latitude, longitude = coordinates("B1 1BB")  # "B1  1BB", padded to seven characters
    assert latitude == pytest.approx(52.478, abs=0.01)
    assert longitude == pytest.approx(-1.902, abs=0.01)
    assert Postcode.objects.filter(source="codepoint").count() == 2
    assert "Imported 2 postcodes from Code-Point Open file wc.csv (6 rows read)" in out
    assert "no coordinates: 1" in out
    assert "line 4: impossible coordinates (eastings 9999999, northings 100)" in out
    assert "line 5: malformed postcode ('123')" in out
    assert "line 6: coordinates are not numbers ('abc')" in out


def test_a_codepoint_file_with_its_header_row(db, tmp_path):
    path = write(tmp_path, "cp.csv", [CODEPOINT_HEADER, *CODEPOINT_ROWS[:2]])
    assert "Imported 2 postcodes from Code-Point Open" in run(path)
    assert "Imported 2 postcodes" in run(path, "--format", "codepoint")
    assert Postcode.objects.count() == 2


def test_small_batches_and_a_postcode_given_twice(db, tmp_path):
    rows = [*ONSPD_ROWS[:2], ONSPD_ROWS[3], ONSPD_ROWS[0].replace("51.501009", "51.502")]
    out = run(write(tmp_path, "onspd.csv", [ONSPD_HEADER, *rows]), "--batch-size", "2")
    assert Postcode.objects.count() == 3
    assert coordinates("SW1A 1AA") == (51.502, -0.141588)  # the later row wins
    assert "4 rows read" in out


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("", [], "The file is empty"),
        ("\n\n", [], "The file is empty"),
        ("hello,world\n1,2\n", [], "Cannot tell the file's layout"),
        ("pcds,lat\nSW1A 1AA,51.5\n", ["--format", "onspd"], "needs a header row"),
        (ONSPD_HEADER + ONSPD_ROWS[0], ["--format", "codepoint"], "not Code-Point"),
    ],
    ids=["empty", "blank", "unknown-layout", "onspd-without-long", "wrong-format"],
)
def test_a_file_that_is_not_a_postcode_file_fails(db, tmp_path, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        run(path, *args)
    assert not Postcode.objects.exists()


def test_a_file_that_cannot_be_read_fails(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "missing.csv")
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path)  # a directory


def test_a_zipped_file_says_to_unzip_it(db, tmp_path):
    path = tmp_path / "ONSPD_FEB_2025.zip"
    path.write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xb7\x8a" + bytes(range(128, 256)))
    with pytest.raises(CommandError, match="unzip it"):
        run(path)


def test_a_file_that_breaks_halfway_imports_nothing(db, tmp_path):
    Postcode.objects.create(postcode="SW1A 1AA", latitude=51.0, longitude=-0.1, source="http")
    path = tmp_path / "broken.csv"
    good = "".join([ONSPD_HEADER, *ONSPD_ROWS[:2], ONSPD_ROWS[3]] * 50).encode()
    path.write_bytes(good + b"\xff\xfe not utf-8 \xc3\x28\n")
    with pytest.raises(CommandError, match="Nothing was imported"):
        run(path, "--batch-size", "1")
    assert list(Postcode.objects.values_list("postcode", "latitude", "source")) == [
        ("SW1A 1AA", 51.0, "http")
    ]


@pytest.mark.parametrize(
    "args", [["--format", "shapefile"], ["--batch-size", "0"], ["--batch-size", "many"]]
)
def test_bad_options_are_refused(db, tmp_path, args):
    path = write(tmp_path, "onspd.csv", [ONSPD_HEADER, ONSPD_ROWS[0]])
    with pytest.raises(CommandError):
        run(path, *args)


def test_the_command_exits_non_zero_when_the_file_cannot_be_read(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(LINKWELL_READ_DOTENV="false", LINKWELL_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "import_postcodes", str(tmp_path / "missing.csv")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "Cannot read" in result.stderr
