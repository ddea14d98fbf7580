"""moto's S3 server for the remote tests: 127.0.0.1, a free port, buckets made.

Usage: python moto_server.py BUCKET...

Prints the port on stdout once the buckets exist, then serves until killed. Unlike
`moto_server`, it serves one request at a time: moto checks If-Match and If-None-Match and
then writes in two Python steps, which concurrent threads could interleave; one request
at a time makes every conditional put atomic, as S3 guarantees.
"""

import sys
import threading

import boto3
from werkzeug.serving import make_server

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def main() -> None:
    app = DomainDispatcherApplication(create_backend_app)
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
        for bucket in sys.argv[1:]:
            s3.create_bucket(Bucket=bucket)
        print(port, flush=True)

    threading.Thread(target=setup, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
