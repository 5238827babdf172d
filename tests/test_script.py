"""Script detection and the offset-aligned simplified search form."""

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from indexer.script import detect_script, to_simplified, to_traditional

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "reports"


def test_traditional_sample_is_detected():
    text = (CORPUS / "001_a98acada5b20935e.txt").read_text(encoding="utf-8")
    assert detect_script(text) == "traditional"


def test_simplified_samples_are_detected():
    for path in sorted(CORPUS.glob("00[02-4]_*.txt")) + sorted(CORPUS.glob("1*.txt")):
        assert detect_script(path.read_text(encoding="utf-8")) == "simplified", path.name


def test_simplified_form_of_traditional_names():
    assert to_simplified("洪江市巖垅鄉人民政府") == "洪江市岩垅乡人民政府"
    assert to_simplified("政務公開") == "政务公开"


def test_simplified_form_is_offset_aligned():
    text = (CORPUS / "001_a98acada5b20935e.txt").read_text(encoding="utf-8")
    simple = to_simplified(text)
    assert len(simple) == len(text)
    # A match found in the search form points at the same words in the original.
    start = simple.index("岩垅乡人民政府")
    assert text[start:start + 7] == "巖垅鄉人民政府"
    for original, converted in zip(text.split("\n"), simple.split("\n")):
        assert len(original) == len(converted)


@given(st.text(alphabet=st.sampled_from("乾隆皇帝發佈了後來的著作裏面頭髮鬆開乡镇政務公開\n 、。1a"), max_size=60))
def test_alignment_holds_for_any_text(text):
    assert len(to_simplified(text)) == len(text)


def test_round_trip_of_a_simplified_report_detects_as_traditional():
    text = (CORPUS / "004_500be1b21c09ac78.txt").read_text(encoding="utf-8")
    assert detect_script(to_traditional(text)) == "traditional"


def test_official_simplified_place_names_survive_conversion():
    # OpenCC's t2s turns 乾 into 干 and 於 into 于, but 乾安县 and 於潜镇 are official simplified names.
    assert to_simplified("乾安县乾安镇人民政府") == "乾安县乾安镇人民政府"
    assert to_simplified("於潜镇") == "於潜镇"
    assert to_simplified("關於乾燥") == "关于干燥"  # elsewhere the characters still convert
