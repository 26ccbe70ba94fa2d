"""agentreq - delivery requests straight to a delivery agent (smtp, lmtp)
of an Instance, as qmgr sends them, for the tests of those agents.

    agent = AgentReq(inst)
    qid, size = agent.plant(text)           # a queue file in active/
    r = agent.call(agent.request(qid, size, ["a@remote.test"]), "smtp")
    r = agent.send(text, ["a@remote.test"], "[127.0.0.2]:2525")
    r["status"], r["dsn"], r["reason"]      # the agent's reply
    agent.delivered(text, "a@x.test", sink, "what it shows")  # checks:
                        # sent, at the sink, over TLS (tls=False: any)

qmgr takes what it finds in active/ when it starts: AgentReq(inst,
warm_up=True) first sends a local message through smtpd and waits for its
delivery, so that the files planted later are the agent's alone.
"""
import os
import pwd
import smtplib

from cartero_test import attr_dict, ipc_call, is_, ok, wait_for


class AgentReq:
    def __init__(self, inst, prefix="ZZsmtp", warm_up=False):
        self.inst, self.prefix, self.n = inst, prefix, 0
        self.active = os.path.join(inst.spool, "active")
        if warm_up:
            wait_for(lambda: inst.listening(), 10)
            c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
            c.sendmail("bob@mired.org", ["ana@mired.org"],
                       "Subject: WarmUp\r\n\r\nx\r\n")
            c.quit()
            inst.wait_mail(1)

    def plant(self, text):
        """A message in active/ under a new queue id; (id, size)."""
        self.n += 1
        qid = "%s%d" % (self.prefix, self.n)
        path = os.path.join(self.active, qid)
        with open(path, "w") as f:
            f.write(text)
        pw = pwd.getpwnam(self.inst.owner)
        os.chown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(path, 0o600)
        return qid, len(text.encode())

    def request(self, qid, size, rcpts, nexthop=None, extra=None,
                sender="bob@mired.org"):
        """A delivery request's text (rcpts: addresses or (addr, notify,
        orcpt))."""
        lines = ["queue_id=%s" % qid, "offset=0", "size=%d" % size,
                 "sender=%s" % sender]
        rcpts = [r if isinstance(r, tuple) else (r, None, None)
                 for r in rcpts]
        for i, (addr, notify, orcpt) in enumerate(rcpts):
            sfx = "" if i == 0 else ".%d" % i
            lines.append("recipient%s=%s" % (sfx, addr))
            if notify:
                lines.append("notify%s=%s" % (sfx, notify))
            if orcpt:
                lines.append("orcpt%s=%s" % (sfx, orcpt))
        if len(rcpts) > 1:
            lines.append("rcpt_count=%d" % len(rcpts))
        if nexthop:
            lines.append("nexthop=%s" % nexthop)
        for k, v in (extra or {}).items():
            lines.append("%s=%s" % (k, v))
        return "\n".join(lines) + "\n\n"

    def call(self, req, service="smtp", timeout=60):
        return attr_dict(ipc_call(os.path.join(self.inst.spool, "private",
                                               service), req,
                                  timeout=timeout))

    def send(self, text, rcpts, nexthop=None, service="smtp", **kw):
        qid, size = self.plant(text)
        return self.call(self.request(qid, size, rcpts, nexthop, **kw),
                         service)

    def delivered(self, text, rcpt, sink, name, tls=True, **kw):
        """Send text to rcpt; check that it was sent, reached the sink
        (t/lib/smtpsink.py) and, with tls, over TLS.  The reply."""
        r = self.send(text, [rcpt], **kw)
        is_(r.get("status"), "0", "%s: delivered (%s)"
            % (name, r.get("reason", "")))
        sink.wait_messages(1)
        if tls:
            ok(sink.messages and sink.messages[-1]["tls"], "  over TLS")
        return r
