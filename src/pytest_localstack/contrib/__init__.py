"""The AWS SDKs' side: client factories bound to a session, and redirection while patched.

:mod:`.botocore` (with :mod:`.boto3`, :mod:`.aiobotocore`, :mod:`.aioboto3`) makes clients and
redirects every client while a patch is active; :mod:`.environment` points child processes at
the emulator; :mod:`._active` owns which sessions are patched at the moment.
"""
