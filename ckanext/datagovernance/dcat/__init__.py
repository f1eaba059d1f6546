"""datagovernance_dcat: DCAT-AP.de 3.0 + HVD profile, feeds and validation."""
