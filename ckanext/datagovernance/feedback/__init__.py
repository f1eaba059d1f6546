"""Data users' voice (R9): error reports, wishes and questions, access
requests and data requests, tracked as items with a status; access grants
for a period, enforced through the permission labels."""
