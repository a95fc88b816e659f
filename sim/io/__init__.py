"""Files in: YAML loading with line numbers, scenario validation, the evidence base."""
