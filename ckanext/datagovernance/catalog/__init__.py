"""The municipal metadata catalog: schemas, vocabularies, validation,
internal-field protection and the demo municipality (issue 3)."""
