"""datagovernance_harvest: governance defaults and local fields for harvested datasets."""
