"""Why a message bounced, from its status code, DSN action and diagnostic text; pure.

Only reasons about the recipient's address suppress it (SUPPRESSING): a full mailbox, a message
too big, a block on the sender (policy, reputation, block lists) or on what the message
carries, too many recipients, network errors, delays and success reports never do. The names
follow the common bounce classifiers (Sisimai's reasons); many of the phrases are those of
Sisimai 4.25's `Sisimai::Reason::*` and of Sisimai 5's reason lists (rb-sisimai, p5-sisimai;
copyright 2014-2022 azumakuniyuki, BSD 2-Clause), of Mail::DeliveryStatus::BounceParser's
std_reason and of PHP-Bounce-Handler's bounce_responses.php, the words real MTAs use."""

from __future__ import annotations

import re
from enum import StrEnum


class Reason(StrEnum):
    USER_UNKNOWN = "user_unknown"
    HOST_UNKNOWN = "host_unknown"
    SUSPENDED = "suspended"
    MAILBOX_FULL = "mailbox_full"
    MESSAGE_TOO_BIG = "message_too_big"
    TOO_MANY_RECIPIENTS = "too_many_recipients"
    POLICY_BLOCK = "policy_block"
    SPAM_BLOCK = "spam_block"
    CONTENT_BLOCK = "content_block"  # attachments, images, viruses: what the message carries
    NETWORK_ERROR = "network_error"  # a broken name server, no route: not the address
    SYSTEM_ERROR = "system_error"  # the receiving system's own fault: a mail loop, a bad config
    EXPIRED = "expired"
    DELAYED = "delayed"
    SUCCESS = "success"
    UNKNOWN = "unknown"


SUPPRESSING = frozenset({Reason.USER_UNKNOWN, Reason.HOST_UNKNOWN, Reason.SUSPENDED})
NOT_FAILURES = frozenset({Reason.SUCCESS, Reason.DELAYED})

# Enhanced status codes (RFC 3463) by "subject.detail", whatever the class (4 or 5).
_BY_CODE: dict[str, Reason] = {
    "1.1": Reason.USER_UNKNOWN,  # bad destination mailbox address
    "1.3": Reason.USER_UNKNOWN,  # bad destination mailbox address syntax
    "1.6": Reason.USER_UNKNOWN,  # destination mailbox has moved, no forwarding address
    "1.2": Reason.HOST_UNKNOWN,  # bad destination system address
    "1.10": Reason.HOST_UNKNOWN,  # null MX (RFC 7505)
    "4.4": Reason.HOST_UNKNOWN,  # unable to route
    "2.1": Reason.SUSPENDED,  # mailbox disabled
    "7.13": Reason.SUSPENDED,  # user account disabled (RFC 5248's registry)
    "1.7": Reason.POLICY_BLOCK,  # bad sender's mailbox address syntax
    "1.8": Reason.POLICY_BLOCK,  # bad sender's system address
    "2.2": Reason.MAILBOX_FULL,
    "3.4": Reason.MESSAGE_TOO_BIG,
    "2.3": Reason.MESSAGE_TOO_BIG,  # message length exceeds administrative limit
    "5.3": Reason.TOO_MANY_RECIPIENTS,
    "4.7": Reason.EXPIRED,  # delivery time expired
}

# Diagnostic texts, in order: those that never suppress first, since MTAs often give a generic
# or wrong code (a "550 5.1.1" for a full mailbox, a "554 5.0.0" for a block list).
_TEXT: list[tuple[Reason, re.Pattern[str]]] = [
    (
        # Refused in reply to MAIL FROM, before any recipient was named: about the sender (its
        # address, domain or host), whatever the words seem to say ("553 5.1.0 ... does not
        # exist" of the sender's address). Exim's and Postfix's wording.
        Reason.POLICY_BLOCK,
        re.compile(r"after MAIL FROM\b|in reply to MAIL FROM command", re.I),
    ),
    (
        Reason.MAILBOX_FULL,
        re.compile(
            r"quota|mailbox (is )?full|mailbox size limit|over ?(the )?limit|insufficient "
            r"(system |disk )?(storage|space)|mail ?(box|folder) (is )?full|exceeded storage|"
            r"full mailbox|disk full|not enough (storage |disk |free )?space|(disk )?space limit|"
            r"space has been used up|too many messages (on the server|in (the|this) mailbox)|"
            r"bo[iî]te (du destinataire |aux lettres )?pleine|(postfach|mailbox) (ist )?voll|"
            r"casella (di posta )?piena|buz[oó]n (est[aá] )?lleno|does not have enough space|"
            r"too much mail data|exceeded the local limit|exceeding receiving limits|"
            r"would exceed maximum allowed storage|mailbox exceeds allowed size|"
            r"exhausted allowed storage|"
            # BounceParser's over_quota (Mail::DeliveryStatus::BounceParser's std_reason).
            r"storage allocation exceeded|zu ?viele mails auf dem server|"
            # PHP-Bounce-Handler's (bounce_responses.php).
            r"user has exceeded|"
            # Sisimai 5's MailboxFull (go-sisimai's reason/why-mailboxfull.go), Gmail's "inbox is
            # out of storage space" (its rhost/for-google.go).
            r"no space left on device|not sufficient disk space|out of storage space|"
            r"mailbox .{0,40}exceeded .{0,40}limit|"
            # GoDaddy's (Sisimai's rhost/for-godaddy.go).
            r"account storage limit|"
            # The same in the languages of the mail systems whose notices are not in English:
            # Portuguese, Spanish, French, German, Dutch, Polish, Russian, Japanese, Chinese.
            r"caixa (postal|de (correio|e-?mail|entrada))\b.{0,40}\bcheia|"
            r"(buz[oó]n|casilla)\b.{0,40}\bllen[oa]|bo[iî]te (aux lettres|de r[ée]ception)\b.{0,40}"
            r"\bpleine|postfach\b.{0,40}(?<![@./\"'+\w-])voll\b(?![@.+/-]\w|[\"'/])|"
            r"postfachspeicher|speicherplatz\b.{0,30}"
            r"(ersch[öo]pft|[üu]berschritten)|"
            # "vol" (and "voll") the word, not a part of an address, a domain or a path, nor a
            # quoted name ("reader@vol.at", "vol+news@", "voll-mueller@", '"vol"', "/vol/mail").
            r"(mailbox|postvak|brievenbus)\b.{0,40}(?<![@./\"'+\w-])vol\b(?![@.+/-]\w|[\"'/])|"
            r"skrzynka\b.{0,40}\bpe[łl]na|ящик.{0,40}переполнен|переполнен.{0,40}ящик|"
            r"превышен\w{0,8} квот|квот\w{0,8} .{0,20}превышен|"
            r"メールボックス.{0,12}(いっぱい|満杯|容量)|"
            r"(邮箱|信箱|郵箱|郵件箱).{0,8}(已满|已滿|满了|空间不足|容量不足|空間不足)",
            re.I,
        ),
    ),
    (
        Reason.TOO_MANY_RECIPIENTS,
        re.compile(r"too many (recipients|rcpt)|resolver\.adr\.reciplimit", re.I),
    ),
    (
        Reason.MESSAGE_TOO_BIG,
        re.compile(
            r"(message|mail) (is )?too (large|big)|size exceeds|exceeds (the )?"
            r"(maximum )?(message )?size|message size|message (file|length) (too big|exceeds)|"
            r"line limit exceeded|size limit|max(imum)? (inbound )?message size|"
            r"message header size exceeds|taille limite du message|"
            # Sisimai 5's EmailTooLarge.
            r"message exceeds .{0,40}limit|exceeded .{0,20}message size|"
            # BounceParser's message_too_large: Exchange's recipient size limit.
            r"recipsizelimit|"
            # qmail-ldap's (Sisimai's lhost/via-qmail.go), Gmail's attachment and header limits.
            r"exc?eeded the maximum size|limit of \S+ attachments|per individual header size|"
            # Mimecast's (Sisimai's rhost/for-mimecast.go).
            r"maximum email size exceeded",
            re.I,
        ),
    ),
    (
        Reason.SPAM_BLOCK,
        re.compile(
            r"spam|block ?list|black ?list|\brbl\b|dnsbl|spamhaus|spamcop|barracuda|"
            r"reputation|junk mail|blocked using|unsolicited|bulk e-?mail|content filter|"
            r"greylist|reverse dns|\bptr\b|\brdns\b|dynamic ip|open proxy|"
            r"cannot find your hostname|not currently accepting mail from your ip|"
            r"banned sending ip|ip name lookup failed|smtp server of your isp|"
            r"not accepting connections|sender is spammer|"
            # Sisimai 5's Blocked, RequirePTR, BadReputation and SpamDetected.
            r"\bgo away\b|unresolvable relay host|cannot resolve your address|"
            r"reverse lookup rejected|mismatches client ip|due to user complaints|"
            r"no access from mail server|dns lookup failure: \S+ try again later|"
            r"forward dns entry does not point to the sending ip|unverifyable sending ips|"
            r"message content rejected|rejecting (banned|mail) content|unacceptable content|"
            r"message filtered|5\.7\.0 reject, id=|\bdrbl\b|bulk\.advertising|"
            r"classification as bulk mail|recurrent pattern detection|mail rejete|"
            r"sender domain listed at|our system has detected that this message is|mass mailer|"
            # Sisimai 4's Blocked and SpamDetected (p5-sisimai): the sending host or its IP.
            r"bad sender ip address|(blocked|refused) - see https?://|"
            r"can't determine purported responsible address|invalid ip for sending mail of domain|"
            r"mail from \d{1,3}(\.\d{1,3}){3} refused|server access forbidden by your ip|"
            r"server ip \S+ listed as abusive|ip address is listed at \S*abuseat\.org|dsbl\.org|"
            r"smtp error from remote mail server after initial connection|"
            # Sisimai 5's Blocked (p5-sisimai).
            r"no valid recipients from |extreme bad ip profile|host network not allowed|"
            r"sending mta or the sender has not passed validation|"
            r"service not available, closing transmission channel|"
            r"too many unwanted messages have been sent from|"
            r"service refused, please try later|"
            # Sisimai 5's Blocked (rb-sisimai): Microsoft's "... to submit messages to this
            # e-mail system has been rejected".
            r"to submit messages to this e-?mail system|"
            # BounceParser's spam: JunkEmailFilter's block list.
            r"junkemailfilter|"
            # Hotmail's block list codes (PHP-Bounce-Handler's bounce_responses.php).
            r"\b(ou|sc|dy|rp)-00\d\b|"
            # Sisimai 5's Blocked and SpamDetected (go-sisimai's reason/why-*.go), Gmail's and
            # Microsoft's (its rhost/for-google.go, for-microsoft.go).
            r"your access ip \S+ has been rejected|mail score \(|ip not in whitelist|"
            r"nature of the content or the links|traffic not accepted from this ip|"
            r"tenant has exceeded threshold|"
            # Cox's and GoDaddy's blocks on a sending host that sent to too many invalid
            # recipients or too many bad commands, Cox's reverse DNS check, Orange's "Service
            # refuse" (Sisimai's rhost/for-cox.go, for-godaddy.go, for-franceptt.go): the sender,
            # not the address.
            r"too many (invalid recipients|bad commands)|dns check failure|service refus[eé]\b",
            re.I,
        ),
    ),
    (
        Reason.CONTENT_BLOCK,
        re.compile(
            r"not accept(ing)? (mail|messages|e-?mail) with|attachments? (is |are )?not "
            r"(allowed|accepted)|embedded images|(virus|malware) (was |is )?(found|detected)|"
            r"(contains?|infected with) (a )?(virus|malware)|virus detected|"
            r"(executable|illegal|prohibited) attachment|used by recent viruses|"
            r"8-bit data in message header|invalid mime headers|improperly-formatted binary|"
            r"unnecessary base64|containing images or other attachments|"
            r"executable files are not allowed|"
            # Sisimai 5's NotCompliantRFC (the message's headers) and VirusDetected.
            r"not rfc ?5322 compliant|rfcmessagenoncompliant|duplicate header|"
            r"multiple \w+ headers?|virus phishing|malicious_url|"
            # PHP-Bounce-Handler's (bounce_responses.php).
            r"password protected (file )?attachment|"
            # Exchange's, Gmail's and Microsoft 365's refusals of a message's form (Sisimai's
            # lhost/via-exchange2003.go, rhost/for-google.go, rhost/for-microsoft.go).
            r"conversion to internet format failed|"
            r"missing a valid (address in the from|message-id)|"
            r"unicode character in a disallowed header|encoded-word syntax is not permitted|"
            r"mail message is malformed|too many related errors|bare ?line ?feeds|"
            r"invalid message content|message depth exceeded|x-dg-ref header|section 3\.6\.2|"
            # Yahoo's, Cox's and GoDaddy's (Sisimai's rhost/for-yahooinc.go, for-cox.go,
            # for-godaddy.go).
            r"headers are not rfc compliant|attachment extension is forbidden|stray linefeeds|"
            r"virus infected message|blank from: addresses|not allowed as a from: address|"
            # Zoho's virus refusal (Sisimai's rhost/for-zoho.go).
            r"detected by zoho mail|"
            # fml's (Sisimai's lhost/via-fml.go).
            r"duplicated message-id",
            re.I,
        ),
    ),
    (
        Reason.POLICY_BLOCK,
        re.compile(
            # The sender's own account (at its provider, or ours at the receiving service),
            # not the recipient's: "554 5.7.1 Sender account suspended".
            r"(sender'?s?|sending|your) (e-?mail )?account (has been |is )?(currently )?"
            r"(disabled|suspended|blocked|locked|deactivated)|"
            # The sender's address refused whatever the words about it ("Sender address
            # <a@b.c> rejected: User unknown", a callout), or its verification failed.
            r"sender (address )?<[^<>\s]*> (rejected|refused|denied)|sender verif\w* failed|"
            r"relay(ing)? (access )?denied|not permitted to relay|sender (address )?rejected|"
            r"unable to relay|(cannot|can't|not allowed to|do not|don't) relay|as a relay|"
            r"\bspf\b|dmarc|dkim|policy|administrative prohibition|refused to talk|"
            r"rate limit|too many (concurrent )?(smtp )?(connections|messages|sessions|errors)|"
            r"throttl|invalid sender|sender (ip )?(address )?(rejected|blacklisted|verify "
            r"failed|not pre-approved)|domain of sender address|null sender|envelope sender|"
            r"helo command rejected|client host rejected|not allowed to (post|send|connect)|"
            r"members-only|closed mailing list|header (error|are not accepted)|"
            r"protocol violation|authentication (required|failed|failure)|"
            r"unauthenticated senders|tls required|\bbatv\b|unroutable sender address|"
            r"from: domain is invalid|returned mail not accepted here|empty envelope senders?|"
            r"mail from not owned by user|email address is not verified|bogus mail from|"
            r"does not accept mail from|fully qualified email address required|"
            r"not authori[sz]ed to send|does not exist e2110|"
            r"sending this from a different address or alias|"
            # Exim's reply when its callout on the sender failed ("550-Verification failed for
            # <sender> ... 550 Sender verify failed"): it names the sender, never the recipient.
            r"verification failed for <|"
            # Relaying refused (Sisimai's NoRelaying).
            r"insecure mail relay|relay not permitted|not an open relay|relaying mail to|"
            r"not configured to relay|allowed rcpthosts?|we don't handle mail for|not a gateway|"
            r"requires authentication when attempting to send|"
            # The sender refused (Rejected), the recipient's own rules (Filtered), policies
            # (PolicyViolation), connections or sending rates (TooManyConn).
            r"sender email address rejected|sender domain is empty|empty email address|"
            r"delivery not authori[sz]ed|access to submit messages|list of senders to accept|"
            r"emetteur invalide|third-party dsns|unsigned dsn|senderfilterconfig|"
            r"registered gateway user|without a valid sender domain|rule imposed mailbox access|"
            r"only accepting mail from specific|restricted sms|rejected due to user rules|"
            r"recipient preferences|resolver\.rst\.notauthorized|account is protected by|"
            r"refuses? to receive (this )?mail|\buser reject\b|polic(y|ies)|"
            r"organizational settings|given low priority|messages with multiple addresses|"
            r"not subscribed to this group|captcha|is not accepting any mail|"
            # Google Groups: "the group you tried to contact ... may not exist, or you may not
            # have permission to post messages to the group", in the sender's language, with its
            # help centre's address (Sisimai's GoogleGroups: rejected).
            r"may not have permission to post|groups\.google\.com/support|"
            # Sisimai 5's Blocked, Rejected and SecurityError.
            r"confirm this mail server|server requires confirmation|invalid domain, see|"
            r"recursive cname records|authentication (credentials invalid|turned on)|"
            r"not subscribed to ses|verification failure|authentification (requise|invalide)|"
            r"not authori[sz]ed to perform ses:|"
            r"connection (\S+ )?limit|emails per hour|trop de connexions|"
            # Sisimai 5's RateLimited, Speeding and FailedSTARTTLS.
            r"please try again slower|receiving mail at a rate that prevents|unexpected volume|"
            r"temporarily rate limited|starttls is required|"
            # PHP-Bounce-Handler's refusals of the sender or its host (bounce_responses.php).
            r"relaying (is )?not allowed|no relaying|excessive userid unknowns|"
            r"received too many bounces|domainkeys|requires that you verify|"
            r"message refused by|(temporarily|permanently) deferred|"
            r"not allowed access from your location|"
            # Sisimai 5's Rejected, NoRelaying and AuthFailure (go-sisimai's reason/why-*.go);
            # qmail's "Connected to ... but sender was rejected" and "... but my name was
            # rejected", KDDI's relay error (its lhost/via-qmail.go, via-kddi.go).
            r"sender was rejected|my name was rejected|not local host|"
            r"specified domain is not allowed|"
            r"smtp relay error|doesn'?t meet the (required )?authentication|"
            # Gmail's and Microsoft 365's refusals of the sender, its host, its authentication or
            # its sending rate, TLS they require (Sisimai's rhost/for-google.go,
            # for-microsoft.go), and OpenSMTPD's (its lhost/via-opensmtpd.go).
            r"authentication checks|unauthenticated email|(sender|client) (was )?not authenticated|"
            r"exchange server authentication|application-specific password|"
            r"username and password not accepted|log in (with|through) your web browser|"
            r"too many login attempts|no identity changes permitted|could not retrieve credentials|"
            r"smtp auth failed|does not support (tls|smtp authenticated relay|auth)\b|"
            r"resolver\.rst\.authrequired|helo/ehlo argument|helo / ehlo requires|"
            r"allowed-senders list|client blocked from sending|invalid credentials for relay|"
            r"relay limit exceeded|must issue a starttls|starttls may not be repeated|"
            r"starttls-not-supported|tls required for rcpt domain|use tls/ssl for smtp|"
            r"mta-sts validation|certificate-expired:|tlsa-invalid:|dnssec-invalid:|"
            r"certificate-host-mismatch:|restrictdomainsto|receiving mail too quickly|"
            r"recipient thread limit exceeded|maximum number of connections|"
            r"daily (user )?sending limit|daily limit for message recipients|"
            r"per hour message receive limit|exceeded their limit for the number of messages|"
            r"exceeded permitted limits within|unusual rate of mail|"
            r"try again later, closing connection|"
            r"with the same message-id|destination seem to reject all mails|"
            # Yahoo's, Cox's, GoDaddy's and Mimecast's (Sisimai's rhost/for-yahooinc.go, for-cox.go,
            # for-godaddy.go, for-mimecast.go): rates, authentication, TLS, relaying.
            r"max message per connection|max number of messages per session|"
            r"message threshold exceeded|requested action aborted: try again later|"
            r"no data before greeting|authentication not allowed on|"
            r"this route requires (encryption|tls|high-strength)|invalid for this certificate|"
            r"open relay (is )?not allowed|incorrect authentication data|"
            r"submitter failed to authenticate|outbound thread limit|hostname is not authorized|"
            r"account (in|out)bounds disabled|"
            # Apple's, Tencent's (QQ) and MessageLabs' (Sisimai's rhost/for-apple.go,
            # for-tencent.go, for-messagelabs.go).
            r"due to excessive volume|mail is rejected by recipients|frequency (\S+ ){0,4}limited|"
            r"tls/sslv3 connection required|not allowed for sender ip address|"
            r"turn on smtp authentication|suspected bounce attacks|"
            # Zoho's refusal of the sending domain, Facebook's response codes for the sender, its
            # host, its connections and its message (Sisimai's rhost/for-zoho.go, for-facebook.go).
            r"mail rejected by destination domain|\b(pol|dns|con|msg)-[pt]\d\b|"
            # Google Workspace's "Smtp server does not advertise AUTH capability" (Sisimai's
            # lhost/via-googleworkspace.go).
            r"does not advertise auth|"
            # fml's refusals of a poster who is not a member (Sisimai's lhost/via-fml.go).
            r"not a member of this (mailing )?list|not member article",
            re.I,
        ),
    ),
    (
        # Words that say the trouble is passing, ahead of the words about the address that
        # come with them: a name server that did not answer ("Host or domain name not found.
        # Name service error ... Host not found, try again"), an account locked for a while,
        # a name that matches several mailboxes.
        Reason.NETWORK_ERROR,
        re.compile(
            r"(malformed|unexpected) name server reply|host name lookup failure|"
            r"host not found, try again|temporary lookup failure|could not contact dns servers|"
            r"dns (lookup|query) failed|temporary failure in mx lookup|"
            r"bad dns lookup error code|had no relevant answers|"
            # Postfix's queue held back after failed connections.
            r"delivery temporarily suspended|"
            # Oracle (Sun) Messaging Server's delay: no exchanger of the domain answered for now.
            r"no mxs? for this domain could be reached",
            re.I,
        ),
    ),
    (
        Reason.SYSTEM_ERROR,
        re.compile(
            r"temporar(il)?y (locked|inactive|disabled|suspended|deactivated|frozen)|"
            r"(locked|disabled|suspended|deactivated|frozen) temporar(il)?y|"
            r"not unique|several matches|ambiguous (address|user|recipient)|address ambiguous|"
            r"needs to be unique|resolver\.adr\.(badprimary|invalidinsmtp|ambiguous)|"
            # Exim's router on a host set up to send nothing off itself (Debian's exim4).
            r"(mailing|delivery) to remote domains (is )?not (supported|permitted|allowed)",
            re.I,
        ),
    ),
    (
        Reason.SUSPENDED,
        re.compile(
            r"(account|mailbox|user) (has been |is )?(currently )?(disabled|suspended|inactive|"
            r"deactivated|locked|closed|expired|frozen)|(inactive|disabled|suspended|"
            r"deactivated) (account|user|mailbox|(recipient |e-?mail )?address)|"
            r"disabled or discontinued|user is terminated|user or domain is disabled|"
            r"mailbox unavailable or access denied|temporar(il)?y (locked|inactive)|"
            r"tried to reach is (disabled|inactive)|(has been|is currently|user) suspended|"
            r"recipient suspend the service|invalid/inactive user|bo[iî]te du destinataire archiv|"
            # Blocked, said of the recipient's own account (Orange's "Le compte du destinataire
            # est bloque. The recipient account is blocked"): not a block on the sender.
            r"recipient'?s? (e-?mail )?(account|mailbox) (has been |is )?(currently )?blocked|"
            r"compte du destinataire (est |a [ée]t[ée] )?bloqu|"
            # BounceParser's user_unknown for disabled, suspended and not yet activated accounts
            # (everyone.net, usa.net, ...).
            r"(account|mailbox|user|customer|recipient|e-?mail|address) (has been |is )?"
            r"(currently )?(administratively )?(disabled|suspended|discontinued|inactive)|"
            r"account not activated|"
            # PHP-Bounce-Handler's for 5.2.1 (bounce_responses.php), in English, Spanish,
            # Polish and Italian.
            r"mailbox was disabled|not currently being accepted for this mailbox|"
            r"blocked due to inactivity|ha expirado por falta de uso|estado: inactivo|"
            r"zablokowane administracyjnie|nieaktywne|bloccato per inutilizzo|"
            # qmail-ldap's "Mailaddress is administrativly disabled" in its four spellings, Sisimai
            # 5's Suspend pair "mailbox ... unavailable or access denied", Microsoft's banned or
            # inaccessible recipient (Sisimai's lhost/via-qmail.go, reason/why-userunknown.go,
            # rhost/for-microsoft.go).
            r"administrativ\w* disabled|mailbox \S+ unavailable or access denied|banned recipient|"
            r"mailbox cannot be accessed|"
            # Facebook's deactivated recipient (Sisimai's rhost/for-facebook.go).
            r"\brcp-t4\b",
            re.I,
        ),
    ),
    (
        Reason.HOST_UNKNOWN,
        re.compile(
            r"host (or domain name )?not found|host unknown|unknown host|domain (name )?"
            r"(not found|does not exist|unknown)|no mx|name or service not known|nxdomain|"
            r"null mx|unrouteable mail domain|no such domain|not a valid domain|domain must exist|"
            r"unknown domain|domain mentioned in email address is unknown|"
            r"account or domain may not exist|domain is not reachable|"
            # PHP-Bounce-Handler's (bounce_responses.php).
            r"host ?name is unknown|couldn'?t find any host|"
            # Exim's router errors, Gmail's DNS errors, Oracle Messaging Server's (Sisimai's
            # lhost/via-exim.go, via-gmail.go, via-messagingserver.go, rhost/for-google.go).
            r"all host address lookups failed permanently|mx records point to non-existent hosts|"
            r"dns\.nonexistentdomain|"
            r"dns server returned answer with no data|illegal host/domain name|"
            r"able to find the recipient domain",
            re.I,
        ),
    ),
    (
        Reason.USER_UNKNOWN,
        re.compile(
            r"user unknown|unknown (user|recipient|local[- ]part|address|mailbox)|no such "
            r"(user|mailbox|recipient|address|account|person)|does not exist|doesn'?t exist|"
            r"not exist|invalid (recipient|mailbox|address|user)|(mail[- ]?box|recipient|address|"
            r"user)( name)? (not found|unavailable|is unavailable|invalid|not valid)|"
            r"unroute?able address|not (a )?valid (recipient|mailbox|user)|no mail[- ]?box|"
            r"not an? (active|known|valid) (e-?mail )?(user|address|mailbox|recipient|account)|"
            r"not listed in|bad destination|addressee unknown|unknown or illegal alias|"
            r"undeliverable address|not our customer|account.{0,20}not (found|exist)|"
            r"mailbox unavailable|non-?existent (user|address|mailbox|recipient)|"
            r"(user|recipient|address) (does not|doesn'?t) have an? \S+ account|"
            r"unknown e-?mail address|no account by that name|there is no one at this address|"
            r"no longer (accepts mail|valid)|bad[-_ ]recipient|badrcptto|validrcptto|"
            r"archived recipient|(user|recipient) \S+ (was not found|does not exist)|"
            r"address (not present in directory|unknown)|can't accept user|"
            r"destination addresses were unknown|email address could not be found|"
            r"is not a known user|resolver\.adr\.(ex)?recip(ient)? ?not ?found|"
            r"address could(n'?t| not) be found|#?5\.1\.[01] (bad address|address rejected)|"
            # Exchange's and Office 365's own notices, in English.
            r"e-?mail address you entered could(n'?t| not) be found|"
            # Its address or name from where it starts, as long as an address can be: not from
            # each character of a long run (hostile), which took time the square of its length.
            r"(?<!\S)\S{1,320} wasn'?t found at\b|"
            r"envelope recipient has been denied|recipient unknown|unknown virtual user|"
            r"mailbox \S+@\S+ unavailable|mailbox not present|"
            r"invalid-recipient|email name is not found|badrecipientto|missing home directory|"
            r"user not (active|known)|"
            # The same in other languages: Portuguese, Dutch, Polish, Russian, Japanese, Chinese.
            r"usu[aá]rio (desconhecido|inexistente|n[aã]o existe)|gebruiker onbekend|"
            r"onbekende (gebruiker|ontvanger)|nie ma takiego (u[żz]ytkownika|adresu)|"
            r"u[żz]ytkownik nie istnieje|nieznany (odbiorca|u[żz]ytkownik)|"
            # Not the sender's ("Отправитель: пользователь ... не найден в списке разрешённых").
            r"(?<!отправитель: )(?<!отправитель )(?<!отправителя )"
            r"пользовател\w{0,8} .{0,30}(не найден(?! в списк)|не существует)|"
            r"нет такого пользовател|"
            r"такого пользовател\w{0,8} нет|"
            # Exchange's own notice in Russian: "Не удалось найти введенный электронный адрес."
            r"не удалось найти введ[её]нный (электронный )?адрес(?! отправител)|"
            r"ユーザー.{0,12}(存在しません|見つかりません)|"
            r"宛先.{0,12}(存在しません|不明)|"
            # Not the sender's: 发信/发件/寄件 are sending ("发信用户不存在", "发件人账户不存在").
            r"(?<!发信)(?<!发件)(?<!發信)(?<!發件)(?<!寄件)(?<!发信人)(?<!发件人)(?<!發件人)(?<!寄件人)"
            r"(用户|收件人|邮箱|帐户|账户|帳戶|用戶|郵箱)(名)?不存在|"
            # Sisimai 5's UserUnknown and HasMoved.
            r"destination server rejected recipients|mailbox unavaiable|"
            r"no existe (dicha persona|ese usuario)|rejected: account unavailable|"
            r"no valid recipients, bye|\buserunknown\b|no \S+ in name directory|"
            r"user \(\S+\) unknown|address \S+ has been replaced by|"
            # Sisimai 4's UserUnknown (p5-sisimai).
            r"<[^<>\s]+@[^<>\s]+> not found|no matches to nameserver query|recipient not ok\b|"
            r"receipient unknown|"
            # BounceParser's user_unknown (its std_reason's generic and per-MTA phrases).
            r"(?<!sender )(?<!client )(?<!host )(mailbox|user|recipient|addressee|address|"
            r"customer|account|e-?mail) (\S+ )?(is )?(un|not )(known|recognized)|"
            r"no such (customer|e-?mail)|unknown (customer|account|e-?mail)\b|"
            r"invalid customer|(mailbox|user|recipient|customer|account) (was )?not found|"
            r"(mailbox|recipient|customer) (is )?not available|"
            r"(?<!sender )(?<!from )(?<!sender address )<[^<>\s]+@[^<>\s]+> is invalid|"
            r"not known here|"
            r"doesn'?t handle mail for that user|no longer on (this )?server|"
            # PHP-Bounce-Handler's for 5.1.1 (bounce_responses.php), in English, Italian,
            # Polish and German.
            r"account is unavailable|address_not_found|address was not found|invalid account|"
            r"no one with that (e-?mail )?address|no such mail ?drop|unknown or illegal user|"
            r"not found in ldap|(?<!sender )(?<!from )address is invalid|unable to find alias|"
            r"destin(atario)?\.? (sconosciuto|errato)|indirizzo inesistente|nie istnieje|"
            r"nie ma takiego konta|adressat unbekannt|"
            # A delivery program's exit status 67, sysexits' EX_NOUSER: "addressee unknown".
            r"(died with status |exit(ed)? (with )?(status )?)67\b|"
            # Postfix's recipient access maps and Microsoft's directory-based edge blocking
            # refuse an address they have no mailbox for so (Sisimai's UserUnknown).
            r"recipient address rejected: access denied|"
            # Refused at RCPT TO with no reason after the words (Postfix's notice of a bare
            # "Recipient address rejected."): the address itself (Sisimai's UserUnknown).
            r"recipient address rejected\.\s*\(in reply to rcpt\s+to command\)|"
            # French, Spanish, Italian, German.
            r"(utilisateur|destinataire) inconnu|usuario (desconocido|no existe)|"
            r"nessun utente|utente (sconosciuto|inesistente)|(benutzer|empf.nger) unbekannt|"
            # Sisimai 5's UserUnknown and Filtered (go-sisimai's reason/why-*.go): Microsoft's
            # German "... weil die Adresse nicht gefunden wurde ...", "Not found recipient account".
            r"weil die adresse nicht gefunden wurde|not found recipient account|"
            # IMail's, Domino's and Notes' in Spanish, French and Japanese, Microsoft's (Sisimai's
            # lhost/via-imailserver.go, via-domino.go, via-notes.go, rhost/for-microsoft.go).
            r"invalid final delivery userid|no se encuentra en el directorio|"
            r"non r\S{1,2}pertori\S{1,2} dans l'annuaire|ディレクトリには見つかりません|"
            r"ディレクトリのリストにありません|invalid x\.400 address|reserved by rfc 2606|"
            r"single label domains not accepted|"
            # MessageLabs' "Recipient mailbox is not allowed" (Sisimai's rhost/for-messagelabs.go).
            r"recipient mailbox is not allowed|"
            # Facebook's codes for a recipient address that does not exist (its
            # rhost/for-facebook.go).
            r"\b(rcp-p1|int-p[134])\b|"
            # Mimecast's notice (Sisimai's lhost/via-mimecast.go).
            r"recipient email address is possibly incorrect|"
            # Verizon's MMS gateway: "Error: No valid recipients for this MM" (Sisimai's
            # lhost/verizon.rb, its userunknown).
            r"no valid recipients for this mm\b|"
            # qmail-remote's words for a 5xx reply to RCPT TO (Sisimai's lhost/qmail.rb).
            r"does not like recipient\.|"
            # A recipient address no mail can be sent to, its syntax wrong: RFC 3463's X.1.3
            # ("bad destination mailbox address syntax") in words, as Gmail gives them ("553
            # 5.1.3 The recipient address <a@b> is not a valid RFC-5321 address"); not the
            # sender's ("The sender address ... is not a valid RFC-5321 address", 5.1.7).
            r"recipient address\b.{0,100}?\bis not a valid rfc[- ]?\d{3,4}\b",
            re.I,
        ),
    ),
    (
        # A local delivery program that failed (Sisimai's MailerError): the recipient's pipe,
        # procmail or maildrop, not their address. After the reasons about the address: what
        # the program said ("Command output: ... User unknown") is the reason when it gives one.
        Reason.SYSTEM_ERROR,
        re.compile(
            r"\bprocmail: |bin/(procmail|maildrop)|command (failed: |died with status \d+|"
            r"output:)|\bexit \d+|mailer error|pipe to \|/|x-unix; \d+|"
            # Exim's refusals to deliver to a file or a pipe (Sisimai's lhost/via-exim.go).
            r"delivery to (file|pipe) forbidden",
            re.I,
        ),
    ),
    # A network error, the receiving system's trouble or a delivery given up after retries:
    # after the words about the address, as Sisimai reads a bounce (its Reason's third
    # ClassOrder: UserUnknown and HostUnknown before SystemError, NetworkError and Expired):
    # an earlier attempt's timeout or a generic gloss does not hide a refusal of the address.
    (
        Reason.NETWORK_ERROR,
        re.compile(
            r"(malformed|unexpected) name server reply|no route to host|network is unreachable|"
            r"host (is )?unreachable|host name lookup failure|host not found, try again|"
            r"connection (was )?(dropped|refused|reset|closed|lost)|could not (initiate|"
            r"establish) (an? |the )?(smtp )?(conversation|connection)|could not connect|"
            r"too many hops|hop count exceeded|routing loop|forwarding loop|"
            r"dns records for the destination computer could not be found|"
            r"unable to resolve route|"
            # PHP-Bounce-Handler's (bounce_responses.php): Postfix's queue held back after
            # failed connections, a name server that did not answer, a misspelt refusal.
            r"delivery temporarily suspended|temporary lookup failure|conection refused|"
            # qmail's, Gmail's, Courier's, OpenSMTPD's, Notes', Exchange's and Microsoft 365's
            # (Sisimai's lhost/via-*.go and rhost/for-*.go).
            r"listed as a best-preference mx|"
            r"could not contact dns servers|dns (lookup|query) failed|address family mismatch|"
            r"all routes to destination blocked|bad dns lookup error code|"
            r"could not retrieve source address|loop detected|network error on destination mxs|"
            r"no valid route to (remote mx|destination)|temporary failure in mx lookup|"
            r"exceeded (maximum hop count|\d+ hops)|mxloopback|\binvalid arguments\b|"
            # Google Workspace's DNS lookup with no answer (Sisimai's rhost/for-gsuite.go).
            r"had no relevant answers",
            re.I,
        ),
    ),
    (
        Reason.SYSTEM_ERROR,
        re.compile(
            r"loops? back to myself|mail loop|message looping|(local|server|system|mail system) "
            r"config(uration)? error|local error in processing|temporary local problem|"
            r"internal (server )?error|not unique|several matches|"
            r"ambiguous (address|user|recipient)|"
            r"service currently unavailable|queue file write error|can't create user output file|"
            r"interrupted system call|remote server is misconfigured|mail system full|"
            r"could not load drd|encountered an error while being processed|"
            r"loop was found in the mail exchanger|there is no mdb|"
            # Sisimai's SystemError: a filter daemon the receiving system could not reach.
            r"unable to connect .{0,60}daemon|"
            # A server too busy (PHP-Bounce-Handler's bounce_responses.php).
            r"server (is )?(too )?busy|system load is too high|too busy to accept mail|"
            r"too much load|"
            # qmail-ldap's, Courier's and Exchange's (Sisimai's lhost/via-qmail.go, via-courier.go,
            # via-exchange2003.go, via-exchange2007.go), Gmail's and Microsoft 365's (its
            # rhost/for-google.go, for-microsoft.go): the receiving system's own trouble.
            r"homedir creat|illegal value in ldap attribute|ldap attribute is not given|"
            r"performing search on ldap server|temporary failure in ldap lookup|"
            r"unable to (contact|login into) ldap server|needs to be unique|"
            r"while executing qmail-forward|bad interpreter|violates rfc 1035|"
            r"no proxy for recipient|resolver\.adr\.(badprimary|invalidinsmtp|ambiguous)|"
            r"address ambiguous|mdb properties|temporary system problem|"
            r"multiple destination domains per transaction|temporarily rejected (this )?message|"
            r"domain policy size per transaction|service not active|system incorrectly configured|"
            r"mailing list expansion problem|misconfigured forwarding address|"
            r"failed to be replicated|suspiciousremoteservererror|"
            r"agent busy|insufficient system resources|journaling archive|"
            # Cox's, GoDaddy's and Mimecast's (Sisimai's rhost/for-cox.go, for-godaddy.go,
            # for-mimecast.go).
            r"server temporarily (not available|unavailable)|message is looping|"
            r"internal resources are temporarily unavailable|"
            r"unable to process (connection|command|an email)|"
            r"account service is temporarily unavailable|message ended early|"
            r"incorrect hostname used for inbounds|"
            # fml's loop alert (Sisimai's lhost/via-fml.go).
            r"detected a loop condition|"
            # A recipient's account the words say is locked or disabled for a while (Amazon
            # SES's "temporary locked. Please try again later!"): it comes back, unlike one
            # disabled or suspended (checked after this).
            r"temporar(il)?y (locked|inactive|disabled|suspended|deactivated|frozen)|"
            r"(locked|disabled|suspended|deactivated|frozen) temporar(il)?y",
            re.I,
        ),
    ),
    (
        Reason.EXPIRED,
        re.compile(
            r"expired|too long in (the )?queue|retry time|timed? ?out|gave up|"
            r"temp_failure|server did not respond|after multiple retries|failing for a long time|"
            r"has been delayed|delivery attempts will continue|"
            r"within the allowed queue period|could not be delivered for more than|"
            r"could not find a gateway for|failed to deliver to domain|not been collected after|"
            r"in the queue too long|numerous attempts to deliver|"
            # Delay notices (PHP-Bounce-Handler's bounce_responses.php).
            r"not yet been delivered|will be retried for|queue too long|"
            # Sisimai 5's Expired (rb-sisimai's lib/sisimai/reason/expired.rb): Gmail's, Exim's
            # frozen messages and delay reports, Zoho's, and its word pairs.
            r"server did not accept our requests to connect|frozen on arrival|has been frozen|"
            r"delay reason: |host not reachable|message was not delivered within|"
            r"could not be delivered for .{0,20}days|could not deliver for the last .{0,20}second|"
            r"delivery (\S+ ){0,3}delayed|not .{0,20}reach.{0,80}period",
            re.I,
        ),
    ),
    (
        # A refusal that says no more than "blocked" or "denied": after the reasons about the
        # address, which often come with these words ("Mailbox unavailable or access denied").
        Reason.POLICY_BLOCK,
        re.compile(r"blocked|denied", re.I),
    ),
]

# Microsoft 365's directory-based edge blocking refuses an address it has no mailbox for as
# "550 5.4.1 Recipient address rejected: Access denied", Postfix's recipient access maps as
# "554 5.7.1 <...>: Recipient address rejected: Access denied": a user unknown, not a policy.
_DIRECTORY_REJECTION = re.compile(r"recipient address rejected: access denied", re.I)
_CODE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded"})


def classify(status: str, action: str = "failed", diagnostic: str = "") -> Reason:
    """The reason of one recipient's report: its enhanced status (e.g. "5.1.1"), its DSN
    Action (failed, delayed, delivered, ...) and the server's words."""
    action = action.strip().lower()
    status = status.strip()
    if action in _SUCCESS_ACTIONS or status.startswith("2."):
        return Reason.SUCCESS
    if action == "delayed":
        return Reason.DELAYED
    code = _CODE.search(status) or _CODE.search(diagnostic)
    if _DIRECTORY_REJECTION.search(diagnostic):
        return Reason.USER_UNKNOWN
    by_text = classify_text(diagnostic)
    if by_text is not None and by_text not in SUPPRESSING:
        return by_text
    if code is not None:
        reason = _BY_CODE.get(f"{code.group(2)}.{code.group(3)}")
        if reason is None and code.group(2) == "7":
            # Security or policy, the code says; servers give it to addresses they do not
            # have too ("5.7.1 No such user"): words naming the address win.
            reason = by_text or Reason.POLICY_BLOCK
        if reason is Reason.HOST_UNKNOWN and by_text is Reason.USER_UNKNOWN:
            # A code about the host whose words are about the user: RFC 7505's X.1.10 (null
            # MX) is what Exchange gives an address its directory does not have ("550 5.1.10
            # RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup").
            # Both suppress; the words say which.
            reason = by_text
        if reason is not None:
            return reason
    if by_text is not None:
        return by_text
    if code is not None and code.group(1) == "4":
        # A transient failure the reporting MTA gave up retrying.
        return Reason.EXPIRED if action == "failed" else Reason.DELAYED
    return Reason.UNKNOWN


_FOLD = re.compile(r"[ \t]*\r?\n[ \t]+")


def classify_text(text: str) -> Reason | None:
    """The reason a bounce's words give, or None when they name none."""
    # A line folded onto an indented next one ("Host not\n    found") is read whole; lines
    # that start at the margin are other statements, whose words must not run together.
    text = _FOLD.sub(" ", text)
    for reason, pattern in _TEXT:
        if pattern.search(text):
            return reason
    return None


def one_reason(text: str) -> Reason | None:
    """The reason a notice's words give for all it lists: the one its lines name, when those
    that name one all name the same; None when they name none or several."""
    named = {classify_text(line) for line in _FOLD.sub(" ", text).splitlines()} - {None}
    return named.pop() if len(named) == 1 else None


# "<domain> does not exist", of a domain named alone (not an address's).
_DOMAIN_GONE = re.compile(
    r"(?<![@\w.-])((?:[a-z0-9-]+\.)+[a-z]{2,}) (?:does not|doesn'?t) exist", re.I
)


def about_another_domain(reason: Reason, words: str, recipient: str) -> Reason:
    """The reason, unless it suppresses only because the words say some domain does not exist
    and that domain is not the recipient's (nor one of its hosts): then the server refused a
    domain of the sender's ("553 mx.example.net does not exist" of the sending host)."""
    if reason not in SUPPRESSING or "@" not in recipient:
        return reason
    own = recipient.rsplit("@", 1)[1].lower()
    words = " ".join(words.split())
    named = [d.lower() for d in _DOMAIN_GONE.findall(words)]
    related = [d for d in named if d == own or d.endswith("." + own) or own.endswith("." + d)]
    if not named or related or classify_text(_DOMAIN_GONE.sub(" ", words)) in SUPPRESSING:
        return reason  # none named, the recipient's named, or other words about the address
    return Reason.POLICY_BLOCK


def suppresses(reason: Reason, status: str = "") -> bool:
    """Whether this reason means the address is dead: only for a permanent (5.x.x) report, or
    one with no code at all (a non-standard bounce whose words name the reason)."""
    return reason in SUPPRESSING and not status.strip().startswith("4")
