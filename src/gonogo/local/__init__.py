"""The local environment (``--env=local``) built on the box: bring it up for a run, calibrate this host's pace,
watch its rollouts like a deployment controller, and the ``gonogo stack`` command."""
