"""Where the tests find the repository's files, wherever a test module sits in tests/."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
GOLDEN = REPO / "tests" / "adapters" / "slack" / "golden"
