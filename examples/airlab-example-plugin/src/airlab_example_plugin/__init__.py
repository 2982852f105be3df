"""An example airlab plug-in: a policy and a metric, found by airlab through entry points."""
