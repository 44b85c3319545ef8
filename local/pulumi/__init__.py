"""The Pulumi half of the local cloud: Pulumi Python programs run on this machine.

`project` reads `Pulumi.yaml` and the stack's config; `engine` runs the program in-process
against a backend: `predicted` creates nothing and predicts every output (for `plan` and
`policy`), `provisioning` creates each resource in the local AWS. `plan` prints what a
deployment records; `policy` runs a policy pack over it.
"""
