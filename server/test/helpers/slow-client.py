#!/usr/bin/env python3
"""A WebSocket client that reads only when told to, with a tiny receive window and a tiny MSS.

Node cannot shrink a TCP socket's receive buffer, and on loopback the kernel buffers of a normal connection
absorb megabytes before the server's `bufferedAmount` moves. This client sets SO_RCVBUF and TCP_MAXSEG before
connecting, so that a server writing to it is blocked after a few hundred kilobytes.

Usage: slow-client.py HOST PORT PATH PROTOCOL
Commands on stdin, one JSON object a line:
  {"send": "<text>"}   send a text frame (masked, as a client must)
  {"read": true}       start reading: every frame from then on is reported
Events on stdout, one JSON object a line:
  {"open": 101}  {"frame": "<text>"}  {"close": 4408}  {"eof": true}  {"error": "<message>"}
"""
import base64
import json
import os
import socket
import struct
import sys
import threading

out_lock = threading.Lock()


def emit(event):
    with out_lock:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()


def recv_exactly(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError()
        buf += chunk
    return buf


def send_text(sock, text):
    payload = text.encode("utf-8")
    header = bytes([0x81])
    n = len(payload)
    if n < 126:
        header += bytes([0x80 | n])
    elif n < 65536:
        header += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        header += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(header + mask + masked)


def reader(sock):
    try:
        while True:
            b0, b1 = recv_exactly(sock, 2)
            opcode = b0 & 0x0F
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", recv_exactly(sock, 2))[0]
            elif n == 127:
                n = struct.unpack("!Q", recv_exactly(sock, 8))[0]
            payload = recv_exactly(sock, n)
            if opcode == 0x1:
                emit({"frame": payload.decode("utf-8")})
            elif opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                emit({"close": code})
            # Pings are not answered: this client is as unresponsive as it gets.
    except EOFError:
        emit({"eof": True})
    except OSError as e:
        emit({"error": str(e)})


def main():
    host, port, path, protocol = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Before connect, so that the window the peer sees is small from the start.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    # A small advertised MSS: the server's kernel sizes its send buffer from the MSS (on loopback, whose MSS is
    # 64 KiB, it starts at about 4 MiB), so this keeps what the server's kernel absorbs to tens of kilobytes.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 88)
    sock.connect((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n"
        ).encode()
    )
    # Byte by byte, so that no frame after the headers is consumed here.
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += recv_exactly(sock, 1)
    status = int(head.split(b" ", 2)[1])
    emit({"open": status})
    reading = False
    for line in sys.stdin:
        command = json.loads(line)
        try:
            if "send" in command:
                send_text(sock, command["send"])
            elif command.get("read") and not reading:
                reading = True
                threading.Thread(target=reader, args=(sock,), daemon=True).start()
        except OSError as e:
            emit({"error": str(e)})
    sock.close()


if __name__ == "__main__":
    main()
