#!/usr/bin/env python3
"""A SIP user agent over UDP that routes as RFC 3261 requires of real clients and servers, to test
what sipp cannot: sipp answers every request to the packet's source and sends its in-dialog
requests to the address it has been talking to, whatever our Via and Record-Route say.

This one answers to the top Via (`received`, `rport`, else sent-by: RFC 3261 §18.2.2, RFC 3581
§4), learns the route set from Record-Route (§12.1.1 as UAS, reversed as UAC: §12.1.2) and sends
its in-dialog requests through it, to the first entry when that is a loose router (§12.2.1.1,
§8.1.2). It reports, per call, what happened and the addresses it saw in the proxy's Via and
Record-Route, as JSON. Python 3 standard library only; IPv4 or IPv6 by the bound address (RFC
5118 references in brackets). Every wait is bounded: it always stops.

  sipua.py uas --bind ADDR [--port 5060] --name NAME --report FILE [--duration S]
      answers calls until SIGTERM or --duration; what each call does is in its INVITE's
      X-UA-Plan header: "answer" (200, then the caller hangs up), "hangup" (200, then this side
      sends BYE through the route set), "ring" (180, the caller cancels: 200 for CANCEL, 487).
  sipua.py uac --bind ADDR [--port 5060] --proxy HOST:PORT --report FILE --plan PLAN...
      [--call-prefix P] [--timeout S]   one call per --plan, 50 ms apart; exits 0 when all completed.
"""
import argparse
import json
import os
import random
import select
import signal
import socket
import sys
import time

T1 = 0.5       # RFC 3261 §17.1.1.1
T2 = 4.0
COMPACT = {"v": "via", "i": "call-id", "f": "from", "t": "to", "m": "contact", "l": "content-length",
           "c": "content-type", "k": "supported", "s": "subject", "e": "content-encoding"}
LIST_HEADERS = ("via", "record-route", "route", "contact")


# ---- text: host:port, URIs, header lists

def fmt_host(host):
    return f"[{host}]" if ":" in host else host


def split_hostport(s):
    """'[v6]:port', 'v4:port', 'host' -> (host, port or None)."""
    if s.startswith("["):
        end = s.index("]")
        host, rest = s[1:end], s[end + 1:]
        return host, int(rest[1:]) if rest.startswith(":") else None
    host, _, port = s.partition(":")
    return host, int(port) if port else None


def split_list(value):
    """A header value split at commas outside <> and quotes (RFC 3261 §7.3.1)."""
    out, depth, quoted, cur = [], 0, False, ""
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def params_of(s):
    """';a=b;lr' -> {'a': 'b', 'lr': ''} (names lowercased)."""
    out = {}
    for p in s.split(";"):
        if p.strip():
            k, _, v = p.strip().partition("=")
            out[k.lower()] = v
    return out


class Uri:
    """sip:[user@]host[:port][;params]; the host of an IPv6 reference without its brackets."""

    def __init__(self, text):
        self.text = text.strip()
        rest = self.text.split(":", 1)[1] if ":" in self.text else self.text
        rest = rest.split("?", 1)[0]
        if "@" in rest:
            self.user, rest = rest.split("@", 1)
        else:
            self.user = None
        hostport, _, params = rest.partition(";")
        self.host, self.port = split_hostport(hostport)
        self.params = params_of(params)

    def hostport(self):
        return f"{fmt_host(self.host)}:{self.port or 5060}"


def addr_spec(name_addr):
    """The URI of a name-addr or addr-spec (Contact, Route, Record-Route, From, To)."""
    if "<" in name_addr:
        return name_addr[name_addr.index("<") + 1:name_addr.index(">")]
    return name_addr.split(";", 1)[0].strip()


def tag_of(name_addr):
    after = name_addr[name_addr.index(">") + 1:] if ">" in name_addr else name_addr.partition(";")[2]
    return params_of(after).get("tag")


class Via:
    def __init__(self, value):
        proto_sentby, _, params = value.partition(";")
        parts = proto_sentby.split()
        self.transport = parts[0]
        self.host, self.port = split_hostport(parts[1])
        self.params = params_of(params)

    def sent_by(self):
        return f"{fmt_host(self.host)}:{self.port or 5060}"

    def response_target(self):
        """RFC 3261 §18.2.2 (unreliable unicast, no maddr): `received` if present, else the
        sent-by host; the `rport` value if present (RFC 3581 §4), else the sent-by port, else 5060."""
        host = self.params.get("received") or self.host
        host = host.strip("[]")
        rport = self.params.get("rport")
        port = int(rport) if rport else (self.port or 5060)
        return host, port


class Msg:
    def __init__(self, text):
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.start = lines[0]
        self.headers = []           # (lowercase full name, value), in order
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:   # folded line
                self.headers[-1] = (self.headers[-1][0], self.headers[-1][1] + " " + line.strip())
                continue
            name, _, value = line.partition(":")
            name = name.strip().lower()
            self.headers.append((COMPACT.get(name, name), value.strip()))
        p = self.start.split(" ", 2)
        self.is_request = not self.start.startswith("SIP/2.0")
        self.method = p[0] if self.is_request else None
        self.uri = p[1] if self.is_request else None
        self.status = None if self.is_request else int(p[1])
        cseq = self.get("cseq").split()
        self.cseq_num, self.cseq_method = int(cseq[0]), cseq[1]

    def get(self, name, default=""):
        for n, v in self.headers:
            if n == name:
                return v
        return default

    def all(self, name):
        """Every value of a header, lists split (Via, Route, Record-Route, Contact)."""
        out = []
        for n, v in self.headers:
            if n == name:
                out.extend(split_list(v) if name in LIST_HEADERS else [v])
        return out

    def vias(self):
        return [Via(v) for v in self.all("via")]

    def call_id(self):
        return self.get("call-id")


def build(start, headers, body=""):
    lines = [start] + [f"{n}: {v}" for n, v in headers if v is not None]
    lines.append(f"Content-Length: {len(body.encode())}")
    return "\r\n".join(lines) + "\r\n\r\n" + body


def branch():
    return "z9hG4bK" + "%016x" % random.getrandbits(64)


def new_tag():
    return "%08x" % random.getrandbits(32)


def rr_summary(values):
    """What a Record-Route (or Route) list says about its proxies: host:port, lr and the pin."""
    out = []
    for v in values:
        u = Uri(addr_spec(v))
        out.append({"hostport": u.hostport(), "lr": "lr" in u.params, "pin": u.params.get("sipshunt-b")})
    return out


# ---- the user agent: one socket, timers, calls by Call-ID

class Agent:
    def __init__(self, bind, port, name):
        self.family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        self.sock = socket.socket(self.family, socket.SOCK_DGRAM)
        self.sock.bind((bind, port))
        self.local = (bind, port)
        self.local_hostport = f"{fmt_host(bind)}:{port}"
        self.name = name
        self.timers = []      # [when, key, fn]; a key cancels a timer family
        self.calls = {}
        self.stray = []       # messages for no known call

    # timers
    def after(self, delay, fn, key=None):
        self.timers.append([time.monotonic() + delay, key, fn])

    def cancel(self, key):
        self.timers = [t for t in self.timers if t[1] != key]

    def retransmit(self, key, text, dest, give_up, on_give_up, interval=T1, cap=T2):
        """Sends now and again at T1, 2T1, ... (capped) until cancel(key) or give_up seconds."""
        end = time.monotonic() + give_up

        def again(iv=interval):
            if time.monotonic() >= end:
                on_give_up()
                return
            self.send(text, dest)
            self.after(iv, lambda: again(min(2 * iv, cap)), key)
        self.cancel(key)
        again()

    def send(self, text, dest):
        host, port = dest
        target = (host, port, 0, 0) if self.family == socket.AF_INET6 else (host, port)
        self.sock.sendto(text.encode(), target)

    def reply(self, req, status, reason, to_tag=None, extra=()):
        """A response to `req`, sent to its top Via (§18.2.2): Via, From, To (+tag), Call-ID, CSeq
        copied (§8.2.6.2), Record-Route too for 18x/2xx to an INVITE (§12.1.1)."""
        to = req.get("to")
        if to_tag and not tag_of(to):
            to += f";tag={to_tag}"
        headers = [("Via", v) for v in req.all("via")]
        if req.method == "INVITE" and 180 <= status < 300:
            headers += [("Record-Route", v) for v in req.all("record-route")]
        headers += [("From", req.get("from")), ("To", to), ("Call-ID", req.call_id()), ("CSeq", req.get("cseq")),
                    *extra]
        text = build(f"SIP/2.0 {status} {reason}", headers)
        self.send(text, req.vias()[0].response_target())
        return text

    def in_dialog_target(self, route_set, remote_target):
        """(Request-URI, Route values, destination) for a request within a dialog (§12.2.1.1):
        loose first route: the remote target as Request-URI, the whole route set as Route, sent
        to the first entry (§8.1.2); strict: the first entry as Request-URI; none: the target."""
        if not route_set:
            u = Uri(remote_target)
            return remote_target, [], (u.host, u.port or 5060)
        first = Uri(addr_spec(route_set[0]))
        if "lr" in first.params:
            return remote_target, list(route_set), (first.host, first.port or 5060)
        return addr_spec(route_set[0]), list(route_set[1:]) + [f"<{remote_target}>"], (first.host, first.port or 5060)

    def run(self, done, deadline):
        while time.monotonic() < deadline and not done():
            now = time.monotonic()
            due = [t for t in self.timers if t[0] <= now]
            if due:
                self.timers = [t for t in self.timers if t[0] > now]
                for t in due:
                    t[2]()
                continue
            wait = min([deadline] + [t[0] for t in self.timers]) - now
            r, _, _ = select.select([self.sock], [], [], max(0.0, min(wait, 0.2)))
            if r:
                data, src = self.sock.recvfrom(65535)
                try:
                    msg = Msg(data.decode(errors="replace"))
                except (ValueError, IndexError) as e:
                    self.stray.append({"from": f"{fmt_host(src[0])}:{src[1]}", "error": f"unparsable: {e}"})
                    continue
                self.handle(msg, f"{fmt_host(src[0])}:{src[1]}")

    def handle(self, msg, src):
        raise NotImplementedError


def new_report(call_id, plan, role):
    return {"call_id": call_id, "plan": plan, "role": role, "ok": False, "events": [], "errors": [],
            "requests": {}, "via": {}, "sources": {}}


def note_request(rep, msg, src):
    """Counts a received request, and records the top Via (the proxy's, when it came through one)
    and the source address, per method."""
    rep["requests"][msg.method] = rep["requests"].get(msg.method, 0) + 1
    rep["via"].setdefault(msg.method, msg.vias()[0].sent_by())
    rep["sources"].setdefault(msg.method, src)
    if msg.all("route"):
        rep.setdefault("route_left", {})[msg.method] = msg.all("route")


class Uas(Agent):
    """Answers calls as the X-UA-Plan header of their INVITE says (see the module doc)."""

    def handle(self, msg, src):
        cid = msg.call_id()
        call = self.calls.get(cid)
        if not msg.is_request:
            if call and msg.cseq_method == "BYE":
                self.on_bye_response(call, msg, src)
            else:
                self.stray.append({"from": src, "start": msg.start, "call_id": cid})
            return
        if msg.method == "OPTIONS":
            self.reply(msg, 200, "OK")
            return
        if msg.method == "INVITE":
            if call is None:
                call = self.calls[cid] = self.new_call(msg, src)
            elif msg.get("cseq") == call["invite"].get("cseq"):
                # A retransmission (same Call-ID and CSeq: a stateless proxy may not keep its
                # branch): the last response again.
                call["rep"]["requests"]["INVITE"] += 1
                if call["last"]:
                    self.send(call["last"], msg.vias()[0].response_target())
                return
            else:
                call["rep"]["errors"].append("a second INVITE (re-INVITE) for this Call-ID")
            note_request(call["rep"], msg, src)
            self.on_invite(call, msg)
            return
        if call is None:
            self.stray.append({"from": src, "start": msg.start, "call_id": cid})
            self.reply(msg, 481, "Call/Transaction Does Not Exist")
            return
        note_request(call["rep"], msg, src)
        rep = call["rep"]
        if msg.method == "ACK":
            if call["final"] == 200:
                self.cancel(("200", cid))
                if not call["acked"]:
                    call["acked"] = True
                    rep["events"].append("ack")
                    if call["plan"] == "hangup":
                        self.after(0.1, lambda: self.send_bye(call))
            elif call["final"] == 487:
                self.cancel(("487", cid))
                if "ack-487" not in rep["events"]:
                    rep["events"].append("ack-487")
                    rep["ok"] = "cancel" in rep["events"]
        elif msg.method == "BYE":
            self.reply(msg, 200, "OK")
            if "bye-in" not in rep["events"]:
                rep["events"].append("bye-in")
            rep["ok"] = call["plan"] == "answer" and call["acked"]
        elif msg.method == "CANCEL":
            self.reply(msg, 200, "OK")
            if call["final"] is None:
                rep["events"].append("cancel")
                call["final"] = 487
                text = self.reply(call["invite"], 487, "Request Terminated", call["tag"])
                call["last"] = text
                self.retransmit(("487", cid), text, call["invite"].vias()[0].response_target(), 32 * T1,
                                lambda: rep["errors"].append("no ACK for the 487"))
        else:
            self.reply(msg, 405, "Method Not Allowed", extra=[("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS")])

    def new_call(self, inv, src):
        cid = inv.call_id()
        plan = inv.get("x-ua-plan", "answer")
        rep = new_report(cid, plan, "uas")
        rep["backend"] = self.name
        rep["record_route"] = rr_summary(inv.all("record-route"))
        rep["via_count"] = len(inv.all("via"))
        return {"rep": rep, "plan": plan, "invite": inv, "tag": new_tag(), "final": None, "acked": False, "last": None, "bye_cseq": 1}

    def on_invite(self, call, inv):
        rep = call["rep"]
        self.reply(inv, 100, "Trying")
        contact = [("Contact", f"<sip:uas@{self.local_hostport}>")]
        if call["plan"] == "ring":
            call["last"] = self.reply(inv, 180, "Ringing", call["tag"], contact)
            rep["events"].append("180")
            return
        call["final"] = 200
        text = self.reply(inv, 200, "OK", call["tag"], contact)
        call["last"] = text
        rep["events"].append("200")
        # §13.3.1.4: the 2xx is retransmitted until its ACK arrives.
        self.retransmit(("200", inv.call_id()), text, inv.vias()[0].response_target(), 32 * T1,
                        lambda: rep["errors"].append("no ACK for the 200"))

    def send_bye(self, call):
        """Our own BYE (§15.1.1) within the dialog: route set = the INVITE's Record-Route in order
        (§12.1.1), remote target = its Contact, From/To swapped."""
        inv, rep = call["invite"], call["rep"]
        route_set = inv.all("record-route")
        remote = addr_spec(inv.all("contact")[0])
        ruri, routes, dest = self.in_dialog_target(route_set, remote)
        rep["bye_sent_to"] = f"{fmt_host(dest[0])}:{dest[1]}"
        headers = [("Via", f"SIP/2.0/UDP {self.local_hostport};branch={branch()};rport"), ("Max-Forwards", "70")]
        headers += [("Route", r) for r in routes]
        headers += [("From", inv.get("to") + f";tag={call['tag']}"), ("To", inv.get("from")),
                    ("Call-ID", inv.call_id()), ("CSeq", f"{call['bye_cseq']} BYE")]
        rep["events"].append("bye-out")
        self.retransmit(("bye", inv.call_id()), build(f"BYE {ruri} SIP/2.0", headers), dest, 64 * T1,
                        lambda: rep["errors"].append("no final response to our BYE"))

    def on_bye_response(self, call, msg, src):
        rep = call["rep"]
        if msg.status < 200:
            return
        self.cancel(("bye", call["invite"].call_id()))
        if f"bye-{msg.status}" not in rep["events"]:
            rep["events"].append(f"bye-{msg.status}")
            rep["sources"].setdefault("BYE response", src)
            rep["bye_response_via_count"] = len(msg.all("via"))
            rep["ok"] = msg.status == 200 and call["plan"] == "hangup" and call["acked"]


class Uac(Agent):
    """Places one call per plan and follows it to its end."""

    def __init__(self, bind, port, name, proxy):
        super().__init__(bind, port, name)
        host, port_ = split_hostport(proxy)
        self.proxy = (host, port_ or 5060)
        self.proxy_hostport = f"{fmt_host(host)}:{port_ or 5060}"

    def place(self, call_id, plan):
        rep = new_report(call_id, plan, "uac")
        via = f"SIP/2.0/UDP {self.local_hostport};branch={branch()};rport"
        headers = [("Via", via), ("Max-Forwards", "70"),
                   ("From", f"<sip:uac@{self.local_hostport}>;tag={new_tag()}"),
                   ("To", f"<sip:{plan}@{self.proxy_hostport}>"), ("Call-ID", call_id), ("CSeq", "1 INVITE"),
                   ("Contact", f"<sip:uac@{self.local_hostport}>"), ("X-UA-Plan", plan)]
        text = build(f"INVITE sip:{plan}@{self.proxy_hostport} SIP/2.0", headers)
        call = self.calls[call_id] = {"rep": rep, "plan": plan, "invite": Msg(text), "via": via, "to_tag": None,
                                     "route_set": None, "remote": None, "done": False, "acks": {}}
        # The proxy is our outbound proxy: the INVITE goes there (§8.1.2), retransmitted per
        # timer A until a response, given up after timer B (64*T1).
        self.retransmit(("invite", call_id), text, self.proxy, 64 * T1,
                        lambda: self.fail(call, "no response to the INVITE"))

    def fail(self, call, why):
        call["rep"]["errors"].append(why)
        call["done"] = True

    def finish(self, call):
        call["rep"]["ok"] = not call["rep"]["errors"]
        call["done"] = True

    def request(self, call, method, cseq, via_branch=None, to_tag=None, routed=True):
        """(text, destination) of a request within the call: in-dialog through the route set
        (routed), else to the INVITE's destination with its Request-URI (CANCEL, ACK of a
        non-2xx: §9.1, §17.1.1.3)."""
        inv = call["invite"]
        to = inv.get("to") + (f";tag={to_tag}" if to_tag else "")
        if routed:
            ruri, routes, dest = self.in_dialog_target(call["route_set"], call["remote"])
        else:
            ruri, routes, dest = inv.uri, [], self.proxy
        headers = [("Via", f"SIP/2.0/UDP {self.local_hostport};branch={via_branch or branch()};rport"),
                   ("Max-Forwards", "70")] + [("Route", r) for r in routes]
        headers += [("From", inv.get("from")), ("To", to), ("Call-ID", inv.call_id()), ("CSeq", f"{cseq} {method}")]
        return build(f"{method} {ruri} SIP/2.0", headers), dest

    def handle(self, msg, src):
        call = self.calls.get(msg.call_id())
        if call is None:
            self.stray.append({"from": src, "start": msg.start, "call_id": msg.call_id()})
            if msg.is_request and msg.method != "ACK":
                self.reply(msg, 481, "Call/Transaction Does Not Exist")
            return
        rep = call["rep"]
        if msg.is_request:
            note_request(rep, msg, src)
            if msg.method == "BYE":
                self.reply(msg, 200, "OK")
                if "bye-in" not in rep["events"]:
                    rep["events"].append("bye-in")
                    if call["plan"] != "hangup":
                        rep["errors"].append("a BYE we did not expect")
                    self.finish(call)
            else:
                self.reply(msg, 405, "Method Not Allowed")
            return
        rep["sources"].setdefault(f"{msg.status} {msg.cseq_method}", src)
        vias = msg.vias()
        if len(vias) != 1 or vias[0].sent_by() != self.local_hostport:
            rep["errors"].append(f"{msg.status} {msg.cseq_method} came with Via {[v.sent_by() for v in vias]}, "
                                 "not ours alone")
        if msg.cseq_method == "INVITE":
            self.on_invite_response(call, msg)
        elif msg.cseq_method == "CANCEL" and msg.status >= 200:
            self.cancel(("cancel", msg.call_id()))
            if "cancel-200" not in rep["events"]:
                rep["events"].append(f"cancel-{msg.status}")
        elif msg.cseq_method == "BYE" and msg.status >= 200:
            self.cancel(("bye", msg.call_id()))
            if not call["done"]:
                rep["events"].append(f"bye-{msg.status}")
                if msg.status != 200:
                    rep["errors"].append(f"BYE answered {msg.status}")
                self.finish(call)

    def on_invite_response(self, call, msg):
        rep, cid = call["rep"], msg.call_id()
        self.cancel(("invite", cid))
        ev = str(msg.status)
        if 100 < msg.status < 200:
            if ev not in rep["events"]:
                rep["events"].append(ev)
            if call["plan"] == "ring" and msg.status == 180 and "cancel" not in rep["events"]:
                rep["events"].append("cancel")
                # §9.1: same Request-URI, Call-ID, From, To, CSeq number and top Via branch as
                # the INVITE, to the same destination.
                inv_branch = Via(call["via"]).params["branch"]
                text, dest = self.request(call, "CANCEL", 1, via_branch=inv_branch, routed=False)
                self.after(0.1, lambda: self.retransmit(("cancel", cid), text, dest, 64 * T1,
                                                        lambda: self.fail(call, "no response to the CANCEL")))
            return
        if msg.status < 200:
            return
        if 200 <= msg.status < 300:
            to_tag = tag_of(msg.get("to"))
            if ev in rep["events"]:
                # a retransmitted 2xx: the ACK again (§13.2.2.4)
                if to_tag in call["acks"]:
                    self.send(*call["acks"][to_tag])
                return
            rep["events"].append(ev)
            rr = msg.all("record-route")
            rep["record_route"] = rr_summary(rr)
            call["route_set"] = list(reversed(rr))           # §12.1.2
            call["remote"] = addr_spec(msg.all("contact")[0])
            call["to_tag"] = to_tag
            ack = self.request(call, "ACK", 1, to_tag=to_tag)  # a new transaction (§17.1.1.3)
            rep["ack_sent_to"] = f"{fmt_host(ack[1][0])}:{ack[1][1]}"
            call["acks"][to_tag] = ack
            self.send(*ack)
            rep["events"].append("ack")
            if call["plan"] == "ring":
                rep["errors"].append("answered, not ringing")
            if call["plan"] == "answer":
                def bye():
                    text, dest = self.request(call, "BYE", 2, to_tag=to_tag)
                    rep["bye_sent_to"] = f"{fmt_host(dest[0])}:{dest[1]}"
                    rep["events"].append("bye-out")
                    self.retransmit(("bye", cid), text, dest, 64 * T1, lambda: self.fail(call, "no response to the BYE"))
                self.after(0.1, bye)
            return
        # a final non-2xx: ACK it hop by hop (§17.1.1.3), same branch, to the INVITE's destination
        if ev not in rep["events"]:
            rep["events"].append(ev)
        inv_branch = Via(call["via"]).params["branch"]
        self.send(*self.request(call, "ACK", 1, via_branch=inv_branch, to_tag=tag_of(msg.get("to")), routed=False))
        if call["plan"] == "ring" and msg.status == 487:
            self.after(0.3, lambda: self.finish(call) if "cancel-200" in rep["events"]
                       else self.fail(call, "487 without a 200 for the CANCEL"))
        elif not call["done"]:
            self.fail(call, f"INVITE answered {msg.status}")


def write_report(path, agent, extra=None):
    out = {"agent": agent.name, "local": agent.local_hostport, "calls": [c["rep"] for c in agent.calls.values()],
           "stray": agent.stray, **(extra or {})}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="role", required=True)
    for role in ("uas", "uac"):
        p = sub.add_parser(role)
        p.add_argument("--bind", required=True)
        p.add_argument("--port", type=int, default=5060)
        p.add_argument("--name", default=role)
        p.add_argument("--report", required=True)
        if role == "uas":
            p.add_argument("--duration", type=float, default=120.0, help="stop after this many seconds at most")
        else:
            p.add_argument("--proxy", required=True, help="HOST:PORT or [V6]:PORT of the outbound proxy")
            p.add_argument("--plan", action="append", required=True, choices=("answer", "hangup", "ring"))
            p.add_argument("--call-prefix", default="ua")
            p.add_argument("--timeout", type=float, default=20.0, help="give up on unfinished calls after this")
    a = ap.parse_args(argv)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    if a.role == "uas":
        ua = Uas(a.bind, a.port, a.name)
        ua.run(lambda: bool(stop), time.monotonic() + a.duration)
        write_report(a.report, ua)
        return 0
    ua = Uac(a.bind, a.port, a.name, a.proxy)
    for i, plan in enumerate(a.plan):
        cid = f"{a.call_prefix}-{i}-{plan}@{ua.local_hostport}"
        ua.after(0.05 * i, lambda cid=cid, plan=plan: ua.place(cid, plan))
    deadline = time.monotonic() + a.timeout
    ua.run(lambda: bool(stop) or (len(ua.calls) == len(a.plan) and all(c["done"] for c in ua.calls.values())),
           deadline)
    # A short linger: a late retransmission of a 200 still gets its ACK.
    ua.run(lambda: bool(stop), min(deadline, time.monotonic() + 0.3))
    for c in ua.calls.values():
        if not c["done"]:
            c["rep"]["errors"].append("unfinished at the timeout")
    write_report(a.report, ua)
    ok = len(ua.calls) == len(a.plan) and all(c["rep"]["ok"] for c in ua.calls.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
