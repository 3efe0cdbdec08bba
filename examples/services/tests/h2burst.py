"""A burst of HTTP/2 requests on one connection, each with its own headers and
body (h2load sends one body and one header set for all its requests, so it
cannot give each checkout its own user token and Idempotency-Key).

    results = burst("127.0.0.1", 18401, [Request("POST", "/api/checkout", headers, body), ...])

opens one TLS connection (ALPN h2), waits for the server's SETTINGS, then
writes the HEADERS and DATA frames of every request in one go, before it
reads any response, so the server has all of them at once; when the server
allows fewer concurrent streams than there are requests, the rest are opened
as streams finish. Each result is (status, headers, body) in request order,
or (0, {}, b"") for a stream the server reset.
"""
import collections
import select
import socket
import ssl
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions

Request = collections.namedtuple("Request", "method path headers body")


class Burst:
    def __init__(self, host, port, timeout=120.0):
        self.host, self.port, self.timeout = host, port, timeout
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        raw = socket.create_connection((host, port), timeout=timeout)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        if self.sock.selected_alpn_protocol() != "h2":
            raise RuntimeError(f"the server did not agree to HTTP/2: {self.sock.selected_alpn_protocol()}")
        self.sock.setblocking(False)
        cfg = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config=cfg)
        self.conn.initiate_connection()
        self.settings = False
        self._flush()

    def close(self):
        try:
            self.conn.close_connection()
            self._flush()
        except (OSError, h2.exceptions.ProtocolError):
            pass
        self.sock.close()

    def _flush(self):
        data = self.conn.data_to_send()
        while data:
            try:
                n = self.sock.send(data)
                data = data[n:]
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                select.select([], [self.sock], [], 1.0)

    def _read(self, wait):
        r, _, _ = select.select([self.sock], [], [], wait)
        if not r and self.sock.pending() == 0:
            return []
        try:
            data = self.sock.recv(1 << 20)
        except (ssl.SSLWantReadError, BlockingIOError):
            return []
        if not data:
            raise ConnectionError("the server closed the connection")
        events = self.conn.receive_data(data)
        self._flush()
        return events

    def run(self, requests):
        deadline = time.monotonic() + self.timeout
        while not self.settings:
            for ev in self._read(1.0):
                if isinstance(ev, h2.events.RemoteSettingsChanged):
                    self.settings = True
            if time.monotonic() > deadline:
                raise TimeoutError("no SETTINGS from the server")
        results = [None] * len(requests)
        status, headers, bodies = {}, {}, {}
        by_stream, pending_data = {}, {}
        todo = collections.deque(range(len(requests)))
        open_streams = 0

        def open_some():
            nonlocal open_streams
            limit = self.conn.remote_settings.max_concurrent_streams
            while todo and open_streams < limit:
                i = todo.popleft()
                req = requests[i]
                sid = self.conn.get_next_available_stream_id()
                body = req.body or b""
                hdrs = [(":method", req.method), (":path", req.path), (":scheme", "https"),
                        (":authority", f"{self.host}:{self.port}")]
                hdrs += [(k.lower(), v) for k, v in req.headers]
                if body:
                    hdrs.append(("content-length", str(len(body))))
                self.conn.send_headers(sid, hdrs, end_stream=not body)
                by_stream[sid] = i
                bodies[sid] = bytearray()
                if body:
                    pending_data[sid] = body
                open_streams += 1
            send_pending()

        def send_pending():
            for sid in list(pending_data):
                data = pending_data[sid]
                room = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
                while data and room > 0:
                    chunk, data = data[:room], data[room:]
                    self.conn.send_data(sid, chunk, end_stream=not data)
                    room = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
                if data:
                    pending_data[sid] = data
                else:
                    del pending_data[sid]
            self._flush()

        open_some()
        done = 0
        while done < len(requests):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(requests) - done} of {len(requests)} responses missing")
            for ev in self._read(1.0):
                if isinstance(ev, h2.events.ResponseReceived):
                    hd = dict(ev.headers)
                    status[ev.stream_id] = int(hd.get(":status", "0"))
                    headers[ev.stream_id] = hd
                elif isinstance(ev, h2.events.DataReceived):
                    bodies[ev.stream_id] += ev.data
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
                    sid = ev.stream_id
                    if sid in by_stream and results[by_stream[sid]] is None:
                        if isinstance(ev, h2.events.StreamReset):
                            results[by_stream[sid]] = (0, {}, b"")
                        else:
                            results[by_stream[sid]] = (status.get(sid, 0), headers.get(sid, {}),
                                                       bytes(bodies[sid]))
                        done += 1
                        open_streams -= 1
                        pending_data.pop(sid, None)
                elif isinstance(ev, h2.events.WindowUpdated):
                    send_pending()
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    raise ConnectionError(f"the server ended the connection: {ev.error_code}")
            self._flush()
            open_some()
        return results


def burst(host, port, requests, timeout=120.0):
    """Sends requests (Request tuples) on one new HTTP/2 connection; returns the results."""
    b = Burst(host, port, timeout)
    try:
        return b.run(requests)
    finally:
        b.close()
