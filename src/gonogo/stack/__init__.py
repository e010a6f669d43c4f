"""The embedded local box: staging-in-a-box behind ``--env=local``.

MongoDB-wire server (SecantusDB, or a real mongod given by GONOGO_LOCAL_MONGO_URL),
Redis, three reference-API backends (uvicorn) and nginx terminating TLS 1.3.
"""

from gonogo.stack.box import Box, BoxInfo, StackError

__all__ = ["Box", "BoxInfo", "StackError"]
