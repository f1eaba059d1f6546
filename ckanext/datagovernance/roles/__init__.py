"""The role model of the data strategy: roles, domains, rights.

Public facade for the core plugin and the other sub-packages; they import
these modules and nothing private of them:

- ``policy``  the one home of every permission rule: ``may_read`` (who may
  read this dataset), ``may_maintain``, ``may_classify``, ``may_delete``,
  ``may_edit_domain``, ``grant_refusal`` (who may grant/revoke a role),
  ``is_governance_admin``, ``is_open_data``
- ``guard``   ``readable_dataset(context, ref)``: a dataset the caller may not
  read answers exactly like one that does not exist
- ``labels``  the permission labels search and ``package_show`` compare
- ``service`` role facts and changes (``assignments``, ``domain_lineage``,
  ``domain_subtree``, ``context_user`` — the one way to find the acting user)
- ``schema``, ``auth``, ``actions``  the API: validate -> check_access -> act
- ``validators``  the access-class guard of the dataset schema
- ``rights``  ``data_owner`` on the dataset is the owner role
"""
