"""One run of the gate, whatever front-end started it (the pytest plugin, ``gonogo evaluate``, a ``gonogo watch``
checkpoint, Locust's gates tab): the inputs read in one place (``inputs``), what is tested (``target``), the one
decision (``record``) and the outputs written from it (``sinks``); ``state`` is a pytest run's bookkeeping."""
