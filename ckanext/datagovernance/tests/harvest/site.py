"""Run CKAN actions on another site (its own ini and database) in a subprocess.

    python site.py SITE.ini '<json list of [action, context_extra, data_dict]>'

Prints a JSON list with each action's result (or {"error": ...}). Used by the
city-to-city test to set up and read site B without a web server; every call
runs through CKAN's actions with the site's plugins, as the API would.
"""
from __future__ import annotations

import json
import sys


def main() -> None:
    ini, calls = sys.argv[1], json.loads(sys.argv[2])
    from ckan.cli import CKANConfigLoader
    from ckan.config.middleware import make_app

    app = make_app(CKANConfigLoader(ini).get_config())
    import ckan.plugins.toolkit as tk
    from ckan import model

    out = []
    with app._wsgi_app.test_request_context():
        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        for action, extra, data in calls:
            context = {"user": site_user, "ignore_auth": True}
            if extra.pop("workflow_flag", False):
                context["datagovernance_workflow_transition"] = True
            context.update(extra)
            try:
                if action == "_sql":
                    import sqlalchemy as sa

                    rows = model.Session.execute(sa.text(data["sql"]), data.get("params", {}))
                    out.append([list(r) for r in rows])
                elif action == "_owner":  # the role table (package_show hides it here)
                    from ckanext.datagovernance.roles import service

                    out.append(service.owner_name(data["id"]))
                elif action == "_jobs":
                    from ckan.lib import jobs

                    out.append([j.meta.get("title") for j in jobs.get_queue().jobs])
                else:
                    out.append(tk.get_action(action)(context, data))
                model.Session.commit()
            except Exception as e:  # noqa: BLE001 - reported to the test
                model.Session.rollback()
                out.append({"error": f"{type(e).__name__}: {getattr(e, 'error_dict', e)}"})
    print("\n@@RESULT@@" + json.dumps(out, default=str))


if __name__ == "__main__":
    main()
