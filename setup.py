# Metadata lives in pyproject.toml; this file only wires Babel's message
# extractors (see ckan#8382: do not add arguments here).
from setuptools import setup

setup(
    message_extractors={
        "ckanext": [
            ("**.py", "python", None),
            ("**.js", "javascript", None),
            ("**/templates/**.html", "ckan", None),
        ],
    },
)
