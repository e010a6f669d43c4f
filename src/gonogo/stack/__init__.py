"""The box's infrastructure, staging-in-a-box: its processes and nothing that runs on them (gonogo.local does).

MongoDB-wire server (SecantusDB, or a real mongod given by GONOGO_LOCAL_MONGO_URL), Redis, S3 (moto), node-exporter,
three reference-API backends (uvicorn) per colour and nginx terminating TLS 1.3; the blue-green switch.
"""

from gonogo.stack.box import Box, BoxInfo, StackError

__all__ = ["Box", "BoxInfo", "StackError"]
