"""moto's S3 server for the remote tests: 127.0.0.1, a free port, buckets made.

Usage: python moto_server.py [--latency-ms N] BUCKET...

Prints the port on stdout once the buckets exist, then serves until killed. Unlike
`moto_server`, it serves one request at a time: moto checks If-Match and If-None-Match and
then writes in two Python steps, which concurrent threads could interleave; one request
at a time makes every conditional put atomic, as S3 guarantees. `--latency-ms` delays
every answer, so a test can act while a client is half-way through many requests.
"""

import sys
import threading
import time

import boto3
from werkzeug.serving import make_server

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def main() -> None:
    args = sys.argv[1:]
    latency = 0.0
    if args[:1] == ["--latency-ms"]:
        latency = int(args[1]) / 1000.0
        args = args[2:]
    moto_app = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        if latency:
            time.sleep(latency)
        return moto_app(environ, start_response)

    server = make_server(
        "127.0.0.1", 0, app, threaded=False, request_handler=MotoRequestHandler
    )
    port = server.server_port

    def setup() -> None:
        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        for bucket in args:
            s3.create_bucket(Bucket=bucket)
        print(port, flush=True)

    threading.Thread(target=setup, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
