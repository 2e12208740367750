"""The SOP catalogue: the YAML file read and checked, loaded as versions, the demo's data."""
