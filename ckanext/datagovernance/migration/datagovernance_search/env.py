# Alembic environment of this chain (see migration/_env.py).
from ckanext.datagovernance.migration._env import run

run(__file__)
