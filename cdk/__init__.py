"""The county's own AWS deployment of the clearance kit, as a CDK app.

One stack per county (`stack.CountyStack`), built from constructs named after what they are:
`storage` (key, buckets, run registry), `processing` (Lambda functions and the state machine),
`notifications` (the office's e-mail topic), `monitoring` (alarms and dashboard), `audit_trail`
(CloudTrail data events) and `access` (the office staff's managed policy). `app.py` is the entry
point that `cdk.json` names; `settings.py` reads the county's choices from CDK context.
"""
