/*
 * params - THE table of main.cf parameters.  Daemons, carteroconf -d and the
 * cartero.conf(5) man page are all made from this one list, so they cannot
 * drift.  Each entry: type, name, default, minimum, maximum, description.
 * Types: STR (string, $name expanded), INT (integer), BOOL (yes/no),
 * TIME (seconds; units s m h d w), SIZE (bytes).  Bounds apply to INT, TIME
 * and SIZE (0,0: unbounded).  Each parameter is read into var_<name>:
 * char * for STR, long long for INT/TIME/SIZE, int for BOOL.
 */
#ifndef CARTERO_PARAMS_H
#define CARTERO_PARAMS_H

#define CARTERO_PARAMS(X) \
 X(STR, config_directory, "/etc/cartero", 0, 0, "The directory with main.cf, master.cf, aliases and the virtual users' passwd file.") \
 X(STR, queue_directory, "/var/spool/cartero", 0, 0, "The queue: incoming, active, deferred, hold, maildrop, corrupt, defer, private and public sockets, pid.") \
 X(STR, data_directory, "/var/lib/cartero", 0, 0, "State that services keep between runs.") \
 X(STR, daemon_directory, "/usr/libexec/cartero", 0, 0, "Where master finds the service programs named in master.cf.") \
 X(STR, command_directory, "/usr/sbin", 0, 0, "Where the administrative commands live.") \
 X(STR, mail_owner, "cartero", 0, 0, "The unprivileged user that owns the queue and runs the network-facing services.") \
 X(STR, default_privs, "nobody", 0, 0, "The user that local delivery to commands and files named in aliases runs as.") \
 X(STR, virtual_mail_owner, "vmail", 0, 0, "The user that owns and writes the virtual users' Maildirs.") \
 X(STR, myhostname, "", 0, 0, "This host's fully qualified name; empty means the system's host name.") \
 X(STR, mydomain, "", 0, 0, "This host's domain; empty means myhostname less its first label.") \
 X(STR, myorigin, "$myhostname", 0, 0, "The domain appended to unqualified sender addresses of locally posted mail.") \
 X(STR, mydestination, "$myhostname, localhost.$mydomain, localhost", 0, 0, "The domains this host delivers locally (system and virtual users, aliases).") \
 X(STR, mynetworks, "127.0.0.0/8 [::1]/128", 0, 0, "Clients trusted to relay mail to any domain (CIDR list).") \
 X(STR, inet_interfaces, "all", 0, 0, "The addresses inet services in master.cf listen on when they name no host: all, loopback-only, or a list.") \
 X(STR, home_mailbox, "Maildir/", 0, 0, "The mailbox under the user's home; a trailing / means Maildir.") \
 X(STR, virtual_mailbox_base, "/var/mail/vhosts", 0, 0, "Virtual users' mailboxes live in $virtual_mailbox_base/DOMAIN/USER/$home_mailbox.") \
 X(STR, virtual_passwd_file, "$config_directory/passwd", 0, 0, "Virtual users, one per line: user@domain:crypt-hash:uid:gid:gecos:home:shell:extra (empty uid, gid and home take the defaults; extra is a blank-separated list where quota=SIZE, quota_messages=N, and Dovecot's userdb_quota_rule=*:storage=SIZE:messages=N give the user its own quota). Mode 0600 root: only auth reads it; smtpd, qmgr and local read the hash-free table that master and cartero user derive from it into $queue_directory/etc/users.") \
 X(STR, alias_maps, "hash:$config_directory/aliases", 0, 0, "Lookup tables of local aliases, searched in order.") \
 X(STR, alias_database, "hash:$config_directory/aliases", 0, 0, "The alias tables that newaliases rebuilds.") \
 X(BOOL, allow_at_in_local_part, "no", 0, 0, "Accept addresses whose local part holds an '@' (\"user@elsewhere\"@mired.org) in MAIL FROM and RCPT TO; no: 553 5.1.3 (5.1.7 for the sender), as such local parts are a way to route mail past the checks.") \
 X(INT, first_valid_uid, "1000", 0, 0, "System users (getpwnam) with a lower uid are not mail users: unknown recipients and no login, unless an alias names them (Dovecot's name; virtual users are not subject to it).") \
 X(INT, last_valid_uid, "60000", 0, 0, "System users with a higher uid are not mail users either (nobody, 65534); 0: no upper bound.") \
 X(STR, recipient_delimiter, "+", 0, 0, "Characters that separate a user name from an address extension (ana+lists).") \
 X(STR, relayhost, "", 0, 0, "The host that mail for other domains is sent to instead of the domain's MX.") \
 X(STR, relay_domains, "", 0, 0, "Other domains this host accepts mail for from any client and relays.") \
 X(STR, transport_maps, "", 0, 0, "Lookup tables (hash:) that route a recipient: keys user+ext@domain, user@domain, domain, .parent.domain; values transport:nexthop, transport:, :nexthop, error:text (bounce with the text, 5.0.0 or its own code) or discard:text. The transport is any service name of master.cf (its socket private/NAME).") \
 X(STR, virtual_alias_maps, "", 0, 0, "Lookup tables (hash:) that rewrite a recipient to other addresses before the aliases and routing: keys user+ext@domain, user@domain, then @domain (a catch-all for the domain: as in Postfix it takes every address of the domain that has no key of its own, users included); values a list of addresses (a bare name gets @$myorigin). smtpd accepts an address of a local domain found here.") \
 X(STR, default_transport, "smtp", 0, 0, "The transport[:nexthop] of mail to domains that are neither local nor in relay_domains; a nexthop here wins over relayhost.") \
 X(STR, relay_transport, "smtp", 0, 0, "The transport[:nexthop] of mail to relay_domains; a nexthop here wins over relayhost.") \
 X(STR, local_transport, "local", 0, 0, "The transport of mail to mydestination (and of alias commands and files); the local agent takes one recipient per request.") \
 X(INT, default_destination_recipient_limit, "50", 1, 1000, "The most recipients of one message in one delivery request, for a transport without its own TRANSPORT_destination_recipient_limit (named after the master.cf service: smtp_destination_recipient_limit). local always takes one.") \
 X(INT, default_destination_concurrency_limit, "20", 1, 1000, "The most delivery requests in flight to one destination (transport and nexthop), for a transport without its own TRANSPORT_destination_concurrency_limit.") \
 X(TIME, dead_destination_time, "300s", 1, 86400, "How long a destination whose agent reported it down (dead=1) is not tried: its mail is deferred at once with the same reason. cartero queue flush forgets dead destinations.") \
 X(TIME, delay_warning_time, "0", 0, 0, "After a message waits this long, each recipient whose NOTIFY asks for DELAY (or has no NOTIFY) gets one Action: delayed notice sent to the sender; 0: off.") \
 X(SIZE, bounce_size_limit, "50000", 1, 0, "The largest message a bounce returns whole when the sender asked RET=FULL; a larger one is returned as its header only.") \
 X(STR, dns_servers, "", 0, 0, "The DNS servers every lookup asks (c-ares), a list of address[:port], [IPv6]:port for IPv6 (127.0.0.1:5353, [::1]:53); empty: the nameserver lines of /etc/resolv.conf. A bad entry fails every lookup temporarily (mail is deferred), never falls back.") \
 X(TIME, dns_timeout, "5s", 1, 300, "How long a DNS query waits for its first answer from one server; c-ares doubles it on each round of retries.") \
 X(INT, dns_tries, "2", 1, 10, "How many times a DNS query is sent to each server before it fails temporarily.") \
 X(INT, dns_cache_size, "1000", 0, 1000000, "How many DNS answers each process keeps for their TTL (least recently used dropped first); 0: none.") \
 X(TIME, dns_cache_max_ttl, "1d", 0, 604800, "The longest a DNS answer is kept, whatever its TTL.") \
 X(TIME, dns_cache_negative_max_ttl, "300s", 0, 86400, "The longest a nonexistent name or record (NXDOMAIN, no data) is remembered; within it, the zone's SOA says how long (RFC 2308).") \
 X(INT, dns_mx_host_limit, "10", 1, 100, "How many MX hosts of a domain, the most preferred, have their addresses looked up.") \
 /* DKIM (RFC 6376, RFC 8463): lib/dkim*.c, cartero dkim */ \
 X(STR, dkim_signing_keys, "hash:$config_directory/dkim/signing_keys", 0, 0, "The DKIM signing keys: a lookup table (hash: or texthash:) from a sender domain (the From address's, lower case) to selector:/absolute/path/to/key.pem, the PEM private key (RSA or Ed25519) that signs its mail as d=DOMAIN s=SELECTOR. cartero dkim keygen writes the keys (mode 0600, owned by mail_owner) and this table; a table whose file does not exist means no signing; empty: none.") \
 X(STR, dkim_sign_headers, "from, to, cc, subject, date, message-id, reply-to, in-reply-to, references, mime-version, content-type, content-transfer-encoding, list-*", 0, 0, "The header fields a DKIM signature covers when the message has them (names separated by commas, spaces or colons; name-* stands for every name that begins so); each is signed as often as present, From once more so that no From can be added.") \
 X(TIME, dkim_signature_ttl, "0", 0, 31536000, "How long a DKIM signature we make stays valid (its x= tag); 0: no x=.") \
 X(SIZE, dkim_header_size_limit, "1048576", 1024, 0, "The largest header section DKIM reads to sign or verify a message; past it the message is not signed and its signatures are a permerror.") \
 X(INT, dkim_verify_signature_limit, "5", 1, 100, "How many DKIM signatures of a message are checked, from the top; the others are reported as policy (not checked).") \
 X(TIME, dkim_key_lookup_timeout, "10s", 1, 300, "How long a DKIM key lookup in DNS may take before the signature is a temperror.") \
 X(INT, dkim_rsa_min_bits, "1024", 1024, 16384, "The smallest RSA key a DKIM signature may use (RFC 8301: never less than 1024 bits); smaller keys are a permerror.") \
 X(INT, dkim_rsa_max_bits, "4096", 1024, 16384, "The largest RSA key a DKIM signature may use (larger ones cost time to check); larger keys are a permerror.") \
 /* ARC and SRS (RFC 8617; the Sender Rewriting Scheme): lib/arc*.c, lib/srs.c */ \
 X(STR, arc_signing_domain, "$mydomain", 0, 0, "The domain (d=) of the ARC sets that cartero adds to mail it forwards; its key is the one dkim_signing_keys has for this domain (or for its nearest parent domain that has one); empty: no ARC sealing.") \
 X(STR, arc_authserv_id, "$myhostname", 0, 0, "The authserv-id written in the ARC-Authentication-Results field of the ARC sets cartero adds (RFC 8601: the name of the host that made the results).") \
 X(INT, arc_instance_limit, "50", 1, 50, "The most ARC sets a message may carry (RFC 8617: at most 50); a chain with more fails, and a message that already has this many gets no more.") \
 X(STR, arc_sign_headers, "from, to, cc, subject, date, message-id, reply-to, in-reply-to, references, mime-version, content-type, content-transfer-encoding, list-*, dkim-signature", 0, 0, "The header fields the ARC-Message-Signature of our ARC sets covers when the message has them, as dkim_sign_headers (ARC's own fields are never listed: RFC 8617 forbids it).") \
 X(BOOL, srs_forwarding, "yes", 0, 0, "Rewrite with SRS the envelope sender of mail that aliases or virtual_alias_maps forward to another site (so that SPF passes there), and take bounces to such SRS addresses of srs_domain whose hash holds, sending them back to the original sender. Without a readable srs_secret_file nothing is rewritten (said in the log).") \
 X(STR, srs_domain, "$mydomain", 0, 0, "The domain of the envelope senders that the Sender Rewriting Scheme writes (SRS0=HASH=TT=domain=user@srs_domain) for mail forwarded to other sites, and of the SRS addresses whose bounces cartero sends back; empty: no SRS.") \
 X(STR, srs_secret_file, "$config_directory/srs_secret", 0, 0, "The secrets that sign SRS addresses, one a line: the first signs, every one verifies (add a new first line to change the secret; keep the old one for srs_max_age). Made by the package and ./quickstart when missing; mode 0600.") \
 X(TIME, srs_max_age, "21d", 1, 7776000, "How long an SRS address stays valid: a bounce to an older one is refused (its timestamp counts whole days, at most 1023).") \
 X(INT, srs_hash_length, "6", 4, 27, "How many base64 letters of the HMAC-SHA1 an SRS address carries (compared without regard to case).") \
 X(INT, srs_address_length_limit, "256", 64, 1024, "The longest address SRS reads or writes; a sender whose SRS form would be longer is forwarded unchanged.") \
 X(STR, smtp_destination_networks, "public", 0, 0, "The addresses the smtp and lmtp agents may connect to, a hard limit (CIDR list, as mynetworks; the word public stands for every address that is not loopback, private (RFC 1918, fc00::/7), link-local, CGNAT (100.64.0.0/10), unspecified or multicast). An address outside is never connected to; with none left the mail is deferred.") \
 X(INT, smtp_tcp_port, "25", 1, 65535, "The port of the smtp agent's servers when the nexthop names none (MX hosts, [host]).") \
 X(INT, lmtp_tcp_port, "24", 1, 65535, "The port of the lmtp agent's servers when the nexthop names none.") \
 X(STR, smtp_helo_name, "$myhostname", 0, 0, "The name the smtp agent gives in EHLO, HELO and LHLO.") \
 X(TIME, smtp_connect_timeout, "30s", 1, 3600, "How long the smtp agent waits for a TCP connection to a server.") \
 X(TIME, smtp_helo_timeout, "300s", 1, 3600, "How long the smtp agent waits for the greeting and the reply to EHLO, HELO and LHLO.") \
 X(TIME, smtp_mail_timeout, "300s", 1, 3600, "How long the smtp agent waits for the reply to MAIL FROM.") \
 X(TIME, smtp_rcpt_timeout, "300s", 1, 3600, "How long the smtp agent waits for the reply to RCPT TO.") \
 X(TIME, smtp_data_init_timeout, "120s", 1, 3600, "How long the smtp agent waits for the reply to DATA.") \
 X(TIME, smtp_data_xfer_timeout, "180s", 1, 3600, "How long the smtp agent waits for the server to take more of the message.") \
 X(TIME, smtp_data_done_timeout, "600s", 1, 3600, "How long the smtp agent waits for the reply to the end of the message.") \
 X(TIME, smtp_rset_timeout, "20s", 1, 3600, "How long the smtp agent waits for the reply to RSET before it reuses a connection.") \
 X(TIME, smtp_quit_timeout, "300s", 1, 3600, "How long the smtp agent waits for the reply to QUIT.") \
 X(TIME, smtp_starttls_timeout, "300s", 1, 3600, "How long the smtp agent waits for the TLS handshake after STARTTLS.") \
 X(INT, smtp_reply_line_limit, "100", 1, 10000, "The most lines of one reply the smtp agent reads (a longer reply ends the session: the mail is deferred).") \
 X(INT, smtp_reply_length_limit, "2048", 512, 65536, "The longest reply line the smtp agent reads (a longer one ends the session: the mail is deferred).") \
 X(INT, smtp_worker_limit, "20", 1, 1000, "How many deliveries one smtp or lmtp process works on at once (a process each, so that one slow server never stalls the others).") \
 X(TIME, smtp_connection_cache_time_limit, "2s", 0, 3600, "How long the smtp agent keeps a connection open after a delivery for the next message to the same destination; 0: close at once.") \
 X(INT, smtp_connection_reuse_count_limit, "100", 1, 100000, "How many deliveries one connection of the smtp agent carries at most.") \
 X(STR, smtp_tls_security_level, "may", 0, 0, "TLS in the smtp agent: none, may (STARTTLS when offered; a failed handshake: that host again in plaintext), encrypt (STARTTLS required), verify (required, the certificate checked against the system's CA store and the host name).") \
 X(STR, smtp_tls_CAfile, "", 0, 0, "The CA certificates (a PEM file) that smtp_tls_security_level = verify trusts; empty: the system's CA store.") \
 X(STR, smtp_tls_policy_maps, "", 0, 0, "Per destination TLS levels (none, may, encrypt, verify) by nexthop: a lookup table (hash:/path) whose keys are the nexthop as qmgr gives it (mired.org, [mx.mired.org]:587).") \
/* MTA-STS and DANE (outbound TLS policy per destination) */ \
 X(BOOL, smtp_mta_sts, "yes", 0, 0, "MTA-STS (RFC 8461) in the smtp agent: for a domain routed by MX whose smtp_tls_policy_maps entry is not verify, the TXT record _mta-sts.DOMAIN is looked up and the policy fetched from https://mta-sts.DOMAIN/.well-known/mta-sts.txt (its address must be in smtp_destination_networks; its certificate is checked against smtp_tls_CAfile). A policy in enforce mode lets mail go only to MX hosts that match its mx patterns, over TLS with a certificate verified for the MX name; a host that fails is skipped, and with none left the mail is deferred (\"MTA-STS policy: ...\"). In testing mode mail goes as usual and what would have failed is logged.") \
 X(TIME, smtp_mta_sts_timeout, "30s", 1, 600, "The time limit of one MTA-STS policy fetch (address lookup, connection, TLS handshake and the answer together).") \
 X(SIZE, smtp_mta_sts_policy_size_limit, "65536", 1024, 1048576, "The largest MTA-STS policy file the smtp agent accepts (RFC 8461 3.3 asks for 64 KiB); a longer answer is refused.") \
 X(STR, smtp_mta_sts_cache_directory, "$data_directory/mta-sts", 0, 0, "Where the smtp agent keeps the MTA-STS policies it fetched, a file per domain (written atomically; refetched when the TXT id changes or max_age passes, kept in use while a refetch fails).") \
 X(BOOL, smtp_dane, "yes", 0, 0, "DANE (RFC 7672) in the smtp agent: when the TLSA records of _25._tcp.MXHOST come with the AD bit (validated by the resolver), TLS is required and the server's certificate must match them (DANE-TA and DANE-EE; PKIX usages are unusable; all unusable: TLS required without authentication); a failed TLSA lookup of an MX host whose address records are validated skips the host (deferred when none is left). Only the AD bit says an answer was validated, so dns_servers must be a validating resolver that you trust, on this host or reached over a trusted path (unbound on 127.0.0.1); with a resolver that never sets AD, DANE never applies.") \
 X(BOOL, smtp_arc_seal, "yes", 0, 0, "Add an ARC set (RFC 8617) to mail that an alias forwards to another site, sealed with the DKIM key of arc_signing_domain in dkim_signing_keys: the next hop can then trust the Authentication-Results smtpd wrote when the mail came in. Without a key nothing is added.") \
 X(BOOL, smtp_sasl_auth_enable, "no", 0, 0, "Log in to the server (SASL PLAIN or LOGIN) when smtp_sasl_password_maps has a password for it (a relayhost).") \
 X(STR, smtp_sasl_password_maps, "", 0, 0, "user:password per server: a lookup table (hash:/path) whose keys are [host]:port, [host], host:port or host, as in the nexthop.") \
 X(BOOL, smtp_sasl_auth_requires_tls, "yes", 0, 0, "Send a SASL password only over TLS.") \
 X(STR, client_limit_exceptions, "$mynetworks", 0, 0, "Clients exempt from every per-client limit and delay: connection counts and rates (smtpd, pop3d, imapd), login failure delays and the cap on logins in progress (auth) (CIDR list).") \
 X(STR, smtpd_client_event_limit_exceptions, "$client_limit_exceptions", 0, 0, "Clients exempt from smtpd's per-client connection count and rate limits (Postfix's name; CIDR list).") \
 X(STR, smtpd_relay_restrictions, "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination", 0, 0, "Who may send to which recipients, checked at RCPT TO before smtpd_recipient_restrictions; the same restrictions as smtpd_client_restrictions.") \
 X(STR, smtpd_client_restrictions, "", 0, 0, "Restrictions on the client, checked at MAIL FROM, in order, the first decision wins: permit, reject, permit_mynetworks, permit_sasl_authenticated, reject_rbl_client ZONE, check_client_access TABLE, the sender and recipient restrictions; \"reject\" after permit_sasl_authenticated answers an unauthenticated client 530 5.7.0 Authentication required (submission).") \
 X(STR, smtpd_sender_restrictions, "", 0, 0, "Restrictions on the sender, checked at MAIL FROM after smtpd_client_restrictions: reject_non_fqdn_sender, reject_unknown_sender_domain, check_sender_access TABLE, reject_sender_login_mismatch, and the client restrictions.") \
 X(STR, smtpd_recipient_restrictions, "", 0, 0, "Restrictions on each recipient, checked at RCPT TO after smtpd_relay_restrictions: reject_non_fqdn_recipient, reject_unknown_recipient_domain, check_recipient_access TABLE, reject_unauth_destination, and the client and sender restrictions.") \
 X(STR, smtpd_sender_login_maps, "", 0, 0, "Who owns which sender addresses beyond their own (reject_sender_login_mismatch): a table (hash:/path) from an address, or @domain, to the logins that may use it.") \
 X(BOOL, smtpd_forbid_unauth_pipelining, "yes", 0, 0, "Refuse (554) and disconnect a client outside mynetworks that talks before the greeting or sends the message before the 354 reply to DATA (an early talker: a spam bot that does not listen).") \
 X(INT, smtpd_sasl_message_rate_limit, "200", 0, 1000000, "How many messages one authenticated user may send per hour (anvil); over it MAIL FROM gets 450 4.7.1; 0: no limit.") \
 X(INT, smtpd_sasl_recipient_rate_limit, "1000", 0, 10000000, "How many recipients one authenticated user may send to per hour (anvil); over it RCPT TO gets 450 4.7.1; 0: no limit.") \
 X(STR, smtpd_banner, "$myhostname ESMTP cartero", 0, 0, "The text after 220 in the SMTP greeting.") \
 X(STR, authserv_id, "$myhostname", 0, 0, "The name this server gives its own Authentication-Results header fields (RFC 8601's authserv-id). smtpd removes such fields that claim this name from mail of clients outside mynetworks, authenticated ones too, so that no one can pass off results as ours.") \
 X(BOOL, smtpd_dkim_verify, "yes", 0, 0, "Check every DKIM signature (RFC 6376) of mail from clients outside mynetworks that did not authenticate, and put the results in smtpd's Authentication-Results field; the keys are looked up in DNS (TXT, cached).") \
 X(BOOL, smtpd_arc_verify, "yes", 0, 0, "Check the ARC chain (RFC 8617) of mail from clients outside mynetworks that did not authenticate (mail that other servers forwarded and sealed), and put the result (arc=none, pass or fail, with the oldest instance that passes) in smtpd's Authentication-Results field; it refuses nothing.") \
 X(BOOL, smtpd_spf_verify, "yes", 0, 0, "Check SPF (RFC 7208) of the MAIL FROM domain (of the HELO name for the null sender) for mail from clients outside mynetworks that did not authenticate, and put the result in smtpd's Authentication-Results field. A fail alone refuses nothing: it counts for DMARC.") \
 X(BOOL, smtpd_spf_reject_fail, "no", 0, 0, "Refuse at RCPT (550 5.7.23) the mail of a client outside mynetworks that did not authenticate when SPF of its MAIL FROM domain says fail (-all); by default an SPF fail only counts for DMARC.") \
 X(BOOL, smtpd_dmarc_verify, "yes", 0, 0, "Check the From: domain's DMARC policy (RFC 7489) against the DKIM and SPF results of mail from clients outside mynetworks that did not authenticate; p=reject refuses the message at the end of DATA with 550 5.7.1 (451 4.7.5 when a DNS failure may have caused the fail), and the result goes into smtpd's Authentication-Results field. Needs smtpd_dkim_verify and smtpd_spf_verify.") \
 X(STR, smtpd_dmarc_quarantine_folder, "Junk", 0, 0, "Where local delivers a message whose From: domain's DMARC policy says quarantine and that fails DMARC: this Maildir++ folder of each recipient's Maildir (made if missing); empty: the inbox, with the result in the Authentication-Results field only.") \
 X(SIZE, message_size_limit, "10240000", 0, 0, "The largest message accepted, in bytes, headers included (0: no limit).") \
 X(SIZE, mailbox_size_limit, "0", 0, 0, "The largest a mailbox may grow, in bytes (0: no limit), unless the user has a quota of its own (mailbox_quota_maps, or quota= in virtual_passwd_file). A Maildir keeps its usage in its maildirsize file (Maildir++ quota); cartero mailbox quota recalc rebuilds it.") \
 /* Quota */ \
 X(INT, mailbox_message_limit, "0", 0, 0, "The most messages a Maildir may hold (every folder counted), unless the user has a quota of its own (0: no limit; an mbox has only mailbox_size_limit).") \
 X(STR, mailbox_quota_maps, "", 0, 0, "Per-user quotas: a lookup table (hash:/path) from a user name (ana, or ana@mired.org for a virtual user) to a size (1G, 500m), \"none\", or words as in virtual_passwd_file's extra field (quota=1G quota_messages=5000). A virtual user's quota= field comes first.") \
 X(STR, quota_warning_percentages, "80, 95", 0, 0, "When a delivery makes a Maildir cross one of these percentages of its size limit, local puts a warning message into it (the highest percentage crossed, once per crossing); empty: no warnings.") \
 X(INT, line_length_limit, "1000", 80, 100000, "The longest SMTP command line, in octets, CRLF included.") \
 X(INT, smtpd_recipient_limit, "1000", 1, 1000000, "The most recipients one message may have.") \
 X(TIME, smtpd_timeout, "300s", 1, 86400, "How long smtpd waits for a client's next command or data.") \
 X(TIME, smtpd_peername_cache_time, "10s", 0, 3600, "How long an smtpd process reuses the client name it looked up (PTR, confirmed by the forward lookup) for the next connection from the same address; 0 looks up every time.") \
 X(INT, smtpd_soft_error_limit, "10", 1, 10000, "After this many errors in a session, each further reply is delayed a second.") \
 X(INT, smtpd_hard_error_limit, "20", 1, 10000, "After this many errors in a session, smtpd replies 421 and disconnects.") \
 X(STR, smtpd_forbid_bare_newline, "normalize", 0, 0, "Lines ending in a bare LF inside DATA: normalize (keep them as lines) or reject (550 5.5.2).") \
 /* SPF and DMARC (lib/spf*.c, lib/psl.c, lib/dmarc*.c) */ \
 X(INT, spf_lookup_limit, "10", 1, 100, "How many SPF mechanisms and modifiers that ask DNS (include, a, mx, ptr, exists, redirect) one SPF evaluation may use, across its includes and redirects; one more is a permerror (RFC 7208 4.6.4: 10).") \
 X(INT, spf_void_lookup_limit, "2", 0, 100, "How many DNS answers without records (NXDOMAIN or no data) one SPF evaluation's mechanisms may get; one more is a permerror (RFC 7208 4.6.4: 2).") \
 X(INT, spf_mx_host_limit, "10", 1, 100, "How many MX hosts an SPF mx mechanism may look at; a domain with more is a permerror (RFC 7208 4.6.4: 10).") \
 X(INT, spf_ptr_name_limit, "10", 1, 100, "How many names of a PTR answer an SPF ptr mechanism or %{p} macro looks at; the rest are ignored (RFC 7208 4.6.4: 10).") \
 X(TIME, spf_time_limit, "20s", 1, 600, "How long one SPF evaluation may take in all, its DNS lookups included; past it the result is temperror (RFC 7208 4.6.4 asks for at least 20 seconds).") \
 X(STR, psl_file, "/usr/share/publicsuffix/public_suffix_list.dat", 0, 0, "The public suffix list (Debian's publicsuffix package) that DMARC's organizational domains come from, read once per process. Without it the organizational domain is a name's last two labels (logged once).") \
 X(BOOL, psl_private_domains, "yes", 0, 0, "Use the list's private section too (github.io, blogspot.com, ...), so that two customers of such a provider are different organizations for DMARC alignment; no: the ICANN section only.") \
 X(TIME, dmarc_time_limit, "10s", 1, 600, "How long the DNS lookups of one DMARC policy (at _dmarc.FROM-DOMAIN, then the organizational domain) may take in all; past it the result is temperror.") \
 X(SIZE, queue_minfree, "0", 0, 0, "The free space the queue's file system must keep; below it smtpd answers 452 4.3.1.") \
 X(TIME, maximal_queue_lifetime, "5d", 0, 0, "How long a message may stay deferred before it is returned to the sender.") \
 X(TIME, bounce_queue_lifetime, "5d", 0, 0, "How long a bounce may stay deferred before it is dropped.") \
 X(TIME, minimal_backoff_time, "300s", 1, 0, "The shortest wait before retrying a deferred message.") \
 X(INT, qmgr_agent_connection_limit, "10", 1, 1000, "The most connections qmgr keeps open to one delivery agent other than local (smtp, lmtp, pipe...); each is served by one agent process, so a smaller maxproc of the agent's master.cf service lowers it.") \
 X(TIME, qmgr_retire_time, "10s", 0, 3600, "After a reload or a stop, how long the old qmgr waits for the answers of the deliveries it started (so that none is made twice) before it exits; the new qmgr starts when it has gone.") \
 X(TIME, maximal_backoff_time, "4000s", 1, 0, "The longest wait before retrying a deferred message.") \
 X(TIME, queue_run_delay, "300s", 1, 0, "How often qmgr looks through the deferred queue.") \
 X(INT, local_destination_concurrency_limit, "8", 1, 1000, "How many local deliveries qmgr runs at once.") \
 X(INT, default_process_limit, "100", 1, 100000, "The process limit of a master.cf service whose maxproc is -.") \
 X(TIME, max_idle, "100s", 1, 0, "How long a service process waits for work before it exits.") \
 X(INT, login_max_use, "100", 1, 0, "How many connections a login process (pop3d, imapd before login) serves before it exits, in place of max_use. Each session's secrets are overwritten when it ends; a new process also drops what that cannot reach, for a few milliseconds of CPU per login_max_use logins (1: a process per connection, Dovecot's high-security mode).") \
 X(INT, max_use, "1000", 1, 0, "How many connections a service process serves before it exits (Postfix: 100). Starting a process costs a few milliseconds of CPU; 1000 keeps that under 1% of short SMTP sessions and still renews processes regularly.") \
 X(TIME, ipc_timeout, "3600s", 1, 0, "How long a process waits on another over a Unix socket.") \
 X(INT, smtpd_client_connection_count_limit, "50", 0, 100000, "How many connections one client (an address; IPv6: a /64) may hold open at once to one smtpd service (anvil); 0: no limit.") \
 X(INT, smtpd_client_connection_rate_limit, "300", 0, 1000000, "How many connections one client (an address; IPv6: a /64) may open to one smtpd service per anvil_rate_time_unit; 0: no limit (Postfix's default).") \
 X(INT, pop3d_client_connection_count_limit, "20", 0, 100000, "How many connections one client (an address; IPv6: a /64) may hold open at once to one pop3d service (anvil); 0: no limit.") \
 X(INT, pop3d_client_connection_rate_limit, "300", 0, 1000000, "How many connections one client (an address; IPv6: a /64) may open to one pop3d service per anvil_rate_time_unit; 0: no limit.") \
 X(INT, imapd_client_connection_count_limit, "50", 0, 100000, "How many connections one client (an address; IPv6: a /64) may hold open at once to one imapd service (anvil): 5 per account for Thunderbird, more for a few accounts or users behind NAT; 0: no limit.") \
 X(INT, imapd_client_connection_rate_limit, "300", 0, 1000000, "How many connections one client (an address; IPv6: a /64) may open to one imapd service per anvil_rate_time_unit; 0: no limit.") \
 X(TIME, anvil_rate_time_unit, "60s", 1, 86400, "The window over which anvil counts a client's connection rate.") \
 X(TIME, login_timeout, "60s", 1, 86400, "How long pop3d and imapd wait for a client's next command before it has logged in (after the login, pop3d_timeout and imapd_timeout).") \
 X(TIME, login_starttls_timeout, "30s", 1, 3600, "The time limit of the TLS handshake in pop3d and imapd (STLS, STARTTLS or implicit TLS).") \
 X(TIME, smtpd_starttls_timeout, "30s", 1, 3600, "The time limit of the TLS handshake in smtpd (STARTTLS or implicit TLS; Postfix: 300s).") \
/* Milters (Sendmail's mail filter protocol, lib/milter*.c). */ \
 X(STR, smtpd_milters, "", 0, 0, "Mail filters that smtpd asks about each SMTP session and message, in order (Sendmail's milter protocol): a list of inet:host:port, inet:[ipv6]:port, inet6:host:port, inet:port@host (Sendmail's spelling), unix:/path or local:/path; as in Postfix, a milter with settings of its own is written in braces: { inet:127.0.0.1:11332, connect_timeout = 10s, command_timeout = 10s, content_timeout = 60s, default_action = accept, protocol = 6 }. The first milter that rejects, tempfails or discards decides; each sees the message as the milters before it edited it.") \
 X(STR, non_smtpd_milters, "", 0, 0, "Mail filters for mail that arrives by sendmail(1) and pickup, the same syntax as smtpd_milters.") \
 X(STR, milter_default_action, "tempfail", 0, 0, "What happens when a milter cannot be reached, times out, dies or breaks the protocol: tempfail (451 4.7.1 to this and every later command of the session), reject (550 5.7.1, the same way), accept (go on without the milter) or quarantine (go on without it, the message is put on hold).") \
 X(INT, milter_protocol, "6", 2, 6, "The milter protocol version offered to milters (libmilter of Sendmail 8.14 and later speaks 6).") \
 X(TIME, milter_connect_timeout, "30s", 1, 3600, "How long to wait for a connection to a milter.") \
 X(TIME, milter_command_timeout, "30s", 1, 3600, "How long to wait for a milter's reply to a command other than the message content (a progress packet starts the wait again).") \
 X(TIME, milter_content_timeout, "300s", 1, 86400, "How long to wait for a milter to take one header, body chunk or the end of the message and reply (a progress packet starts the wait again).") \
 X(STR, milter_connect_macros, "j {daemon_name} {daemon_addr} v _", 0, 0, "The macros sent to milters with the client's connection, as Postfix (a milter may ask for its own list).") \
 X(STR, milter_helo_macros, "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}", 0, 0, "The macros sent to milters with HELO/EHLO.") \
 X(STR, milter_mail_macros, "i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}", 0, 0, "The macros sent to milters with MAIL FROM.") \
 X(STR, milter_rcpt_macros, "i {rcpt_addr} {rcpt_host} {rcpt_mailer}", 0, 0, "The macros sent to milters with RCPT TO.") \
 X(STR, milter_data_macros, "i", 0, 0, "The macros sent to milters with DATA.") \
 X(STR, milter_end_of_header_macros, "i", 0, 0, "The macros sent to milters at the end of the message header.") \
 X(STR, milter_end_of_data_macros, "i", 0, 0, "The macros sent to milters at the end of the message.") \
 X(STR, milter_macro_daemon_name, "$myhostname", 0, 0, "The value of the {daemon_name} macro sent to milters.") \
 X(STR, milter_macro_v, "cartero", 0, 0, "The value of the v macro (the MTA's name and version) sent to milters.") \
 X(STR, syslog_facility, "mail", 0, 0, "The syslog facility of log messages.") \
 X(STR, syslog_name, "cartero", 0, 0, "The prefix of program names in log messages (cartero/smtpd).") \
 X(STR, maillog_file, "", 0, 0, "A file to append log lines to, besides syslog; for hosts or instances without syslog.") \
 X(STR, sendmail_path, "$command_directory/sendmail", 0, 0, "The sendmail command.") \
 X(STR, newaliases_path, "$command_directory/newaliases", 0, 0, "The newaliases command.") \
 X(TIME, command_time_limit, "1000s", 1, 0, "How long local lets a command named in aliases run before it kills it and defers the mail.") \
 X(TIME, pipe_command_time_limit, "$command_time_limit", 1, 0, "How long the pipe delivery agent lets a master.cf command run before it kills it (and its process group) and defers the mail (Postfix: TRANSPORT_time_limit, which bounces); master.cf -o sets it per service.") \
 X(SIZE, pipe_output_limit, "2048", 1, 16384, "How many bytes of a pipe command's output (stdout and stderr) are kept for the reason of a deferral or bounce; the rest is read and dropped.") \
 X(STR, tls_cert_file, "$config_directory/cert.pem", 0, 0, "The PEM certificate chain (server certificate first) that every TLS server presents; override per service with master.cf -o.") \
 X(STR, tls_key_file, "$config_directory/key.pem", 0, 0, "The PEM private key of tls_cert_file.") \
 X(STR, tls_server_sni_maps, "", 0, 0, "Certificates by the server name a TLS client asks for (SNI), for smtpd, pop3d and imapd: lookup tables (hash:/path) whose keys are domains (mired.org, or .mired.org for its subdomains) and values \"keyfile certfile\" or one PEM file with both (as Postfix's); a name not found gets tls_cert_file. Read at start, before the privilege drop: after a change, cartero reload.") \
 X(STR, smtpd_tls_security_level, "may", 0, 0, "TLS in smtpd: none (no STARTTLS), may (offer STARTTLS), encrypt (MAIL only after STARTTLS).") \
 X(BOOL, smtpd_tls_wrappermode, "no", 0, 0, "Implicit TLS: the handshake starts at connect (SMTPS, port 465).") \
 X(BOOL, smtpd_sasl_auth_enable, "yes", 0, 0, "Offer SMTP AUTH (RFC 4954) through the auth service.") \
 X(BOOL, pop3d_tls_wrappermode, "no", 0, 0, "Implicit TLS for pop3d: the handshake starts at connect (POP3S, port 995).") \
 X(BOOL, disable_plaintext_auth, "yes", 0, 0, "Accept passwords only over TLS or from a loopback client.") \
 X(STR, auth_mechanisms, "plain login", 0, 0, "The SASL mechanisms offered by smtpd and pop3d.") \
 X(TIME, auth_failure_delay, "2s", 0, 60, "How long a failed login waits before its answer, after the first failure of its client address or account; each further failure (within an hour) doubles it, up to auth_failure_delay_max. Clients in client_limit_exceptions always wait just this long; 0: no delay.") \
 X(TIME, auth_failure_delay_max, "15s", 0, 3600, "The longest a failed login waits: the ceiling of the doubling delay of auth_failure_delay.") \
 X(INT, auth_client_login_limit, "10", 1, 100000, "The most logins of one client address (IPv6: its /64) that auth checks or holds in their failure delay at once; more wait in line. Clients in client_limit_exceptions are exempt.") \
 X(INT, mail_max_userip_connections, "10", 0, 100000, "The most POP3 (and, apart, IMAP) mailbox sessions of one user from one client address (Dovecot's name); a login past it is refused. Sessions held by imap-hibernate do not count. Clients in client_limit_exceptions are exempt; 0: no limit.") \
 X(TIME, auth_token_lifetime, "30s", 1, 3600, "How long a login token from the auth service stays valid.") \
 X(TIME, pop3d_timeout, "600s", 1, 86400, "How long pop3d waits for a client's next command.") \
 X(INT, pop3d_hard_error_limit, "10", 1, 10000, "After this many errors in a session, pop3d disconnects.") \
 X(BOOL, imapd_tls_wrappermode, "no", 0, 0, "Implicit TLS for imapd: the handshake starts at connect (IMAPS, port 993).") \
 X(TIME, imapd_timeout, "30m", 1, 86400, "How long imapd waits for a client's next command (RFC 3501's autologout timer: at least 30 minutes in production).") \
 X(SIZE, imapd_literal_max, "$message_size_limit", 0, 0, "The largest literal (an APPENDed message) imapd accepts; larger ones are refused before they are read (0: 256 MB).") \
 X(SIZE, imapd_login_command_max, "64k", 1024, 0, "The most bytes of one IMAP command before login, all its lines and literals together; over it the command gets BAD (or BYE after a literal+) and nothing of it is kept. Tokens before login are capped at 1000.") \
 X(SIZE, imap_max_line_length, "1m", 1024, 0, "The most bytes of one IMAP command after login, all its lines and literals but an APPENDed message (which imapd_literal_max bounds); over it the command gets BAD (or BYE after a literal+) (Dovecot's name; its default is 64k a line).") \
 X(INT, imapd_hard_error_limit, "20", 1, 10000, "After this many BAD or NO replies in a row (before login: in all), imapd says BYE.") \
 X(TIME, imapd_hibernate_timeout, "30s", 0, 86400, "After this long with nothing to do (in IDLE, or between commands), an IMAP session is handed to imap-hibernate and its imap process exits; 0: never.") \
 X(TIME, imapd_hibernate_credential_lifetime, "4h", 60, 604800, "How long the credential that lets a hibernated IMAP session wake is good; each is good once and each wake gets a new one.  A session does not hibernate when its credential would expire before its autologout; one that cannot be resumed gets BYE and the client reconnects (as after a restart of auth).") \
 X(INT, imapd_hibernate_limit, "10000", 1, 1000000, "The most sessions imap-hibernate holds at once; past it, sessions keep their imap process.") \
 X(TIME, queue_temp_lifetime, "1d", 1, 0, "A writer's unfinished queue file (incoming/t.ID) untouched this long (its inode change time) was left by a killed smtpd or pickup: qmgr removes it when it scans incoming/. Keep it far above smtpd_timeout: a slow client's message in progress must not look abandoned.") \
 X(STR, mailq_path, "$command_directory/mailq", 0, 0, "The mailq command.")

#define CARTERO_PARAM_DECL_STR(n)	extern char *var_##n;
#define CARTERO_PARAM_DECL_INT(n)	extern long long var_##n;
#define CARTERO_PARAM_DECL_TIME(n)	extern long long var_##n;
#define CARTERO_PARAM_DECL_SIZE(n)	extern long long var_##n;
#define CARTERO_PARAM_DECL_BOOL(n)	extern int var_##n;
#define CARTERO_PARAM_DECL(t, n, d, lo, hi, desc) CARTERO_PARAM_DECL_##t(n)
CARTERO_PARAMS(CARTERO_PARAM_DECL)

enum param_type { PARAM_STR, PARAM_INT, PARAM_BOOL, PARAM_TIME, PARAM_SIZE };

struct param {
	const char	*name;
	enum param_type	 type;
	const char	*def;
	long long	 min, max;
	const char	*desc;
	void		*var;		/* char **, long long * or int * */
};

extern const struct param param_table[];	/* ends with name == NULL */
const struct param *param_find(const char *);

#endif
