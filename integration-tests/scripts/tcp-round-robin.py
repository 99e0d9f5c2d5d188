#!/usr/bin/env python3
"""A TCP round-robin proxy on 127.0.0.1: lets one webhook URL reach several local Spinneret replicas (TLS passes
through untouched). Usage: tcp-round-robin.py <listen-port> <backend-port> [<backend-port> ...]"""
import asyncio
import itertools
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    listen = int(sys.argv[1])
    backends = itertools.cycle([int(p) for p in sys.argv[2:]])

    async def handle(client_reader, client_writer):
        port = next(backends)
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
