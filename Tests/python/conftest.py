import os
import sys
from pathlib import Path

# Tests run against the repository's package (make test also sets PYTHONPATH).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Bindings" / "python"))
