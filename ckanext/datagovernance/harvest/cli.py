"""``ckan datagovernance harvest ...``: ckanext-harvest's consumers, run as
the site user.

ckanext-dcat's RDF harvester looks up an already harvested dataset with
``package_show`` and an empty context, i.e. as the process's user. In the
stock consumers that is nobody, so every dataset that is not public (all
that are not yet published here) cannot be re-harvested and the consumer
crashes. These commands run the same consumers with the site user (the
user ckanext-harvest imports as) logged in to the process's request.
"""
from __future__ import annotations

import click


def _as_site_user() -> None:
    import ckan.plugins.toolkit as tk
    from ckan import model
    from flask_login import login_user

    name = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    user = model.User.get(name)
    tk.g.user, tk.g.userobj = user.name, user
    login_user(user)


@click.group(name="harvest", short_help="Harvest consumers running as the site user")
def harvest() -> None:
    """ckanext-harvest's consumers and test run, as the site user."""


@harvest.command("gather-consumer")
@click.pass_context
def gather_consumer(ctx: click.Context) -> None:
    """The gather queue consumer (``ckan harvester gather-consumer``)."""
    from ckanext.harvest import utils

    with ctx.meta["flask_app"].test_request_context():
        _as_site_user()
        utils.gather_consumer()


@harvest.command("fetch-consumer")
@click.pass_context
def fetch_consumer(ctx: click.Context) -> None:
    """The fetch queue consumer (``ckan harvester fetch-consumer``)."""
    from ckanext.harvest import utils

    with ctx.meta["flask_app"].test_request_context():
        _as_site_user()
        utils.fetch_consumer()


@harvest.command("run-test")
@click.argument("source", metavar="SOURCE_ID_OR_NAME")
@click.pass_context
def run_test(ctx: click.Context, source: str) -> None:
    """Gather, fetch and import one source in this process (``ckan harvester run-test``)."""
    from ckanext.harvest import utils

    with ctx.meta["flask_app"].test_request_context():
        _as_site_user()
        utils.run_test_harvester(source, None)
