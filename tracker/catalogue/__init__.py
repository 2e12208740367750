"""The SOP catalogue: the YAML file read and checked, loaded as versions; the demo's example."""

from pathlib import Path

# A complete example catalogue (5 offices, 25 services drawn from the seed service plans).
DEMO_CATALOGUE = Path(__file__).with_name("data") / "demo-catalogue.yaml"
