"""Sharing an emulator between the processes of a run, and between runs.

- :mod:`~pytest_localstack.sharing.launch`: the one way to start an emulator.
- :mod:`~pytest_localstack.sharing.registry`: endpoint records in a directory, behind file
  locks, written atomically; whether a recorded emulator still answers.
- :mod:`~pytest_localstack.sharing.coordinator`: one emulator per run for every xdist worker.
- :mod:`~pytest_localstack.sharing.reuse`: emulators that outlive the run (warm start).
- :mod:`~pytest_localstack.sharing.watchdog` and :mod:`~pytest_localstack.sharing.sweep`:
  cleaning up after a run that was killed.

Kept empty so that importing one part does not import the others.
"""
