-- Centralita edge: calls routed by asking Centralita (KEMI Lua, called from kamailio.cfg).
--
-- How a call goes, in one paragraph:
--   kamailio.cfg authenticates the caller (or recognises a carrier by its address), makes the
--   call a dialog, creates its transaction and hands it to an async worker, which calls
--   `ksr_call` here. That asks `POST /v1/switch/route` what the dialled number reaches and
--   executes the plan: ring phones (all at once, or one after another with each leg's ring
--   time), go out through trunks after `POST /v1/switch/calls` allowed it (for at most the
--   granted seconds: the dialog's timeout), relay to the media server (voicemail, IVR, queue,
--   conference), or refuse with the matching SIP code. When a leg or trunk fails,
--   `ksr_call_failure` takes the next step of the plan, which was kept with the transaction.
--   When the dialog ends, `ksr_dialog_done` queues the call's reports; one process
--   (`ksr_flush_reports`) sends them and keeps on disk what Centralita has not taken yet.
--
-- Why Lua: a plan is a tree of JSON (a ring's fallbacks are plans); lua-cjson makes it a
-- table in one call, where the native script would need one jansson_get per field.
--
-- State: Lua globals are per process, and a call moves between processes (SIP worker, async
-- worker, the process a reply or timer arrives in). What a call needs later lives in the
-- transaction's AVPs (`$avp(plan)` …, for the failure route) and in the dialog's variables
-- (`$dlg_var(...)`, for its reports).
--
-- Safety: strings from requests and plans go to Centralita as JSON (cjson encodes them) and
-- into URLs percent-encoded; what goes into SIP URIs and headers is checked against a strict
-- character set first, and a value that fails the check refuses the call (fail closed).

local cjson = require("cjson.safe")

-- The node's settings (kamailio.cfg sets them from start.sh's options), read once per process.
local settings

local function conf()
	if settings then
		return settings
	end
	local s = {
		api = KSR.pv.get("$shv(api_url)") or "",
		media = KSR.pv.get("$shv(media_uri)") or "",
		spool = KSR.pv.get("$shv(cdr_spool)") or "",
		token = "",
	}
	local path = KSR.pv.get("$shv(api_token_file)")
	if path then
		local f = io.open(path, "r")
		if f then
			s.token = (f:read("*l") or ""):gsub("%s+", "")
			f:close()
		end
	end
	if s.token == "" then
		KSR.err("centralita: no node token (api_token_file); every call is refused\n")
	end
	s.auth = "Content-Type: application/json\r\nAuthorization: Bearer " .. s.token
	settings = s
	return s
end

local function log(level, msg)
	KSR.log(level, "centralita: " .. msg .. "\n")
end

-- The node's settings kept in Centralita (`GET /v1/switch/node`: the media server, the
-- carriers' addresses), asked every few seconds by the report sender and at most every
-- 30 s by each async worker, and shared through $shv(media_node) and $shv(carriers) so the
-- request and failure routes of every process see them.
local self_asked_at = 0

local function refresh_self(every)
	local now_s = os.time()
	if now_s - self_asked_at < every then
		return
	end
	self_asked_at = now_s
	local s = conf()
	-- An empty body makes http_client send a GET (with our headers).
	local code = KSR.http_client.query_post_hdrs(s.api .. "/v1/switch/node", "", s.auth, "$var(self)")
	local text = KSR.pv.get("$var(self)")
	KSR.pv.unset("$var(self)")
	if code ~= 200 or type(text) ~= "string" then
		log("WARN", "GET /v1/switch/node: HTTP " .. tostring(code) .. "; keeping the last settings")
		return
	end
	local me = cjson.decode(text)
	if type(me) ~= "table" then
		return
	end
	local uri = me.media_server_uri
	KSR.pv.sets("$shv(media_node)", type(uri) == "string" and uri or "")
	local nets = {}
	for _, ip in ipairs(type(me.carrier_addresses) == "table" and me.carrier_addresses or {}) do
		if type(ip) == "string" and ip:match("^[%x%.:]+$") then
			nets[#nets + 1] = ip .. (ip:find(":") and "/128" or "/32")
		end
	end
	KSR.pv.sets("$shv(carriers)", table.concat(nets, ","))
end

-- The media server: the node's setting in Centralita, else the one it was started with.
local function media_uri()
	local uri = KSR.pv.get("$shv(media_node)")
	if type(uri) == "string" and uri ~= "" then
		return uri
	end
	return conf().media
end

-- Percent-encoding for one URL path segment (RFC 3986 unreserved characters stay).
local function urlencode(s)
	return (s:gsub("[^%w%-%._~]", function(c)
		return string.format("%%%02X", string.byte(c))
	end))
end

-- Values that may go into a SIP URI or header: a dialled number, a host, an id.
local function safe(s, pattern)
	return type(s) == "string" and s ~= "" and #s <= 128 and s:match(pattern) ~= nil
end
local NUMBER = "^%+?[%d%*#]+$"
local HOST = "^[%w%.%-:%[%]]+$"
local TOKEN = "^[%w%-%._@]+$"

-- POST JSON to Centralita; the status (or curl's error, < 100) and the decoded answer.
local function post(path, body)
	local s = conf()
	local code = KSR.http_client.query_post_hdrs(s.api .. path, cjson.encode(body), s.auth, "$var(http)")
	local text = KSR.pv.get("$var(http)")
	KSR.pv.unset("$var(http)")
	local answer = nil
	if type(text) == "string" and text ~= "" then
		answer = cjson.decode(text)
	end
	return code, answer
end

local function now_iso(t)
	local secs = math.floor(t)
	local ms = math.floor((t - secs) * 1000)
	return os.date("!%Y-%m-%dT%H:%M:%S", secs) .. string.format(".%03dZ", ms)
end

local function now()
	return tonumber(KSR.pv.get("$TV(Sn)")) or os.time()
end

local function avp(name)
	return KSR.pv.get("$avp(" .. name .. ")")
end

local function set_avp(name, value)
	KSR.pv.sets("$avp(" .. name .. ")", tostring(value))
end

local function dlg_set(name, value)
	if value ~= nil then
		KSR.pv.sets("$dlg_var(" .. name .. ")", tostring(value))
	end
end

local function dlg_get(name)
	return KSR.pv.get("$dlg_var(" .. name .. ")")
end

-- Refuse (or end) the call with a final reply; the reason is what the CDR says.
local function reply(code, reason)
	dlg_set("cause", tostring(code))
	KSR.tm.t_reply(code, reason)
end

-- A plan's `hangup` reason as the SIP reply a caller's phone understands.
local HANGUP = {
	busy = { 486, "Busy Here" },
	loop = { 482, "Loop Detected" },
	too_complex = { 482, "Loop Detected" },
	hangup = { 603, "Decline" },
	no_trunk = { 503, "No Trunk Available" },
	no_route = { 404, "No Route" },
	not_internal = { 403, "Not An Internal Number" },
	voicemail_unavailable = { 480, "Voicemail Unavailable" },
	invalid_time_condition = { 500, "Invalid Time Condition" },
}

local function hangup_reply(reason)
	local r = HANGUP[reason]
	if r then
		return r[1], r[2]
	end
	-- unknown_did, unknown_extension, no_destination, unknown_* …: nothing to reach.
	return 404, "Not Found"
end

-- A denied authorization as a SIP reply: no money → 402, not allowed → 403, could not be
-- decided (Centralita or its database unreachable) → 503. Anything else is a refusal too.
local DENY = {
	insufficient_credit = { 402, "Payment Required" },
	daily_cap_reached = { 402, "Payment Required - Daily Cap Reached" },
	unavailable = { 503, "Service Unavailable" },
	no_trunk = { 503, "No Trunk Available" },
	too_many_calls = { 486, "Too Many Calls" },
	no_route = { 404, "No Route" },
	unknown_domain = { 404, "Not Found" },
}

local function deny_reply(reason)
	local r = DENY[reason]
	if r then
		return r[1], r[2]
	end
	-- fraud_risk, destination_denied, rate_too_high, no_rate, no_sell_deck …
	return 403, "Forbidden - " .. (safe(reason, "^[%w_]+$") and reason or "denied")
end

local execute -- forward: a fallback is a plan too

-- The call's own facts, kept with the transaction: who asks for whom.
local function call_facts()
	return {
		call_id = KSR.pv.get("$ci"),
		domain = avp("domain"),
		caller = avp("caller"),
		source = avp("source"),
	}
end

------------------------------------------------------------------------------------------
-- Outside calls: authorize, then trunks in failover order
------------------------------------------------------------------------------------------

-- Ask whether the call may go out. Answers the decision, or nil after refusing the call
-- (or, with `quiet`, without: an outside leg of a ring is skipped, the other legs ring).
-- `key` tells apart the outside legs of one call (each holds its own credit).
local function authorize(number, key, quiet)
	local f = call_facts()
	local id = f.call_id .. key
	local code, d = post("/v1/switch/calls", {
		call_id = id,
		domain = f.domain,
		caller = f.caller,
		destination = number,
	})
	if code ~= 200 or type(d) ~= "table" then
		log("ERR", "authorize " .. id .. ": HTTP " .. tostring(code) .. ": refused (fail closed)")
		if not quiet then
			reply(503, "Service Unavailable")
		end
		return nil
	end
	if d.decision ~= "allow" then
		local c, r = deny_reply(d.reason)
		log("NOTICE", "call " .. id .. " to " .. number .. " denied: " .. tostring(d.reason))
		if not quiet then
			reply(c, r)
		end
		return nil
	end
	if d.reason == "outbound" and type(d.max_duration_seconds) == "number" and d.max_duration_seconds <= 0 then
		if not quiet then
			reply(402, "Payment Required")
		end
		return nil
	end
	d.authorized_id = id
	return d
end

local function trunk_uri(number, t)
	if not (safe(number, NUMBER) and type(t) == "table" and safe(t.host, HOST)) then
		return nil
	end
	local port = tonumber(t.port) or 5060
	local uri = "sip:" .. number .. "@" .. t.host .. ":" .. math.floor(port)
	if t.transport == "tcp" then
		uri = uri .. ";transport=tcp"
	end
	return uri
end

-- Relay to trunk number `i` of the decision kept in $avp(trunks); true when sent.
local function try_trunk(i)
	local d = cjson.decode(avp("trunks") or "")
	if type(d) ~= "table" then
		return false
	end
	while d.trunks[i] do
		local t = d.trunks[i]
		local uri = trunk_uri(d.number, t)
		if uri then
			set_avp("trunk_i", i)
			dlg_set("trunk", t.trunk_id)
			KSR.pv.sets("$ru", uri)
			-- A trunk that says nothing for 2 s is skipped; one ringing may ring 120 s.
			KSR.tm.t_set_fr(120000, 2000)
			KSR.tm.t_on_failure("CALL_FAILURE")
			if KSR.tm.t_relay() > 0 then
				return true
			end
		end
		log("WARN", "trunk " .. tostring(t.trunk_id) .. " skipped")
		i = i + 1
	end
	return false
end

local function outbound(plan)
	local d = authorize(plan.number, "")
	if not d then
		return
	end
	if d.reason == "internal" then
		-- A number of the tenant's own: nothing to pay, nothing to relay out.
		reply(404, "Not Found")
		return
	end
	dlg_set("direction", "outbound")
	dlg_set("authorized", d.authorized_id)
	dlg_set("destination", d.number)
	if type(d.max_duration_seconds) == "number" then
		-- The dialog ends (BYE to both sides) this many seconds after the answer.
		KSR.dialog.dlg_set_timeout(math.floor(d.max_duration_seconds))
	end
	set_avp("stage", "trunk")
	set_avp("trunks", cjson.encode({ number = d.number, trunks = d.trunks }))
	if not try_trunk(1) then
		reply(503, "No Trunk Available")
	end
end

------------------------------------------------------------------------------------------
-- Ringing phones
------------------------------------------------------------------------------------------

-- Load the contacts of one leg as branches. Answers how many.
local function add_leg(leg, first)
	if leg.type == "extension" then
		if not safe(leg.sip_uri, TOKEN) then
			return 0
		end
		local uri = "sip:" .. leg.sip_uri
		if first then
			if KSR.registrar.lookup_uri("location", uri) > 0 then
				return 1
			end
		elseif KSR.registrar.lookup_to_dset("location", uri) > 0 then
			return 1
		end
		return 0
	end
	-- An outside number in a ring: authorized on its own (a denied one is skipped), first
	-- trunk only. Which branch answered is seen in the reply route (ksr_call_answered), so
	-- only that leg is charged; until then the dialog's timeout is the smallest grant.
	local d = authorize(leg.number, "~" .. leg.number, true)
	if not d then
		return 0
	end
	local uri = d.trunks and trunk_uri(d.number, d.trunks[1])
	if not uri then
		return 0
	end
	dlg_set("authorized_legs", (dlg_get("authorized_legs") or "") .. d.authorized_id .. "\n")
	local legs = cjson.decode(avp("outside_legs") or "") or {}
	legs[uri] = d.authorized_id
	set_avp("outside_legs", cjson.encode(legs))
	KSR.tm.t_on_reply("CALL_REPLY")
	if type(d.max_duration_seconds) == "number" then
		local grant = math.floor(d.max_duration_seconds)
		local least = tonumber(avp("least_grant") or "")
		if not least or grant < least then
			set_avp("least_grant", grant)
			KSR.dialog.dlg_set_timeout(grant)
		end
	end
	if first then
		KSR.pv.sets("$ru", uri)
	else
		KSR.corex.append_branch_uri(uri)
	end
	return 1
end

-- The order legs ring in: as listed, shuffled (random), or rotated (round_robin).
local function leg_order(plan)
	local order = {}
	for i = 1, #plan.legs do
		order[i] = i
	end
	if plan.strategy == "random" then
		for i = #order, 2, -1 do
			local j = math.random(i)
			order[i], order[j] = order[j], order[i]
		end
	elseif plan.strategy == "round_robin" and #order > 1 then
		local start = (tonumber(KSR.pv.get("$TV(s)")) or 0) % #order
		local rotated = {}
		for i = 1, #order do
			rotated[i] = order[((i - 1 + start) % #order) + 1]
		end
		order = rotated
	end
	return order
end

-- What happened to the legs, as the plan's outcome: busy, no answer or unreachable.
local function outcome(code, replied)
	if code == 486 or code == 600 or code == 603 then
		return "busy"
	end
	if (code == 408 and replied) or code == 480 or code == 487 then
		return "no_answer"
	end
	return "unreachable"
end

local RANK = { unreachable = 1, busy = 2, no_answer = 3 }

local function fall_back(plan, result)
	log("INFO", "call " .. KSR.pv.get("$ci") .. ": " .. result)
	return execute(plan["on_" .. result])
end

-- Ring the next leg of a serial ring (from position `pos` of the order); falls back when
-- none is left.
local function ring_next(plan, order, pos, result)
	while pos <= #order do
		local leg = plan.legs[order[pos]]
		set_avp("pos", pos)
		local n = add_leg(leg, true)
		if n < 0 then
			return
		end
		if n > 0 then
			KSR.tm.t_set_fr(math.max(1, leg.ring_seconds or 30) * 1000, 2000)
			KSR.tm.t_on_failure("CALL_FAILURE")
			if KSR.tm.t_relay() > 0 then
				return
			end
		end
		pos = pos + 1
	end
	return fall_back(plan, result or "unreachable")
end

local function ring(plan)
	set_avp("stage", "ring")
	set_avp("plan", cjson.encode(plan))
	if plan.strategy == "simultaneous" then
		local n, ring_s = 0, 0
		for _, leg in ipairs(plan.legs) do
			local got = add_leg(leg, n == 0)
			if got < 0 then
				return
			end
			if got > 0 then
				n = n + got
				ring_s = math.max(ring_s, leg.ring_seconds or 30)
			end
		end
		if n == 0 then
			return fall_back(plan, "unreachable")
		end
		set_avp("order", "")
		KSR.tm.t_set_fr(math.max(1, ring_s) * 1000, 2000)
		KSR.tm.t_on_failure("CALL_FAILURE")
		if KSR.tm.t_relay() < 0 then
			reply(500, "Relay Failed")
		end
		return
	end
	local order = leg_order(plan)
	set_avp("order", cjson.encode(order))
	set_avp("result", "unreachable")
	return ring_next(plan, order, 1, nil)
end

------------------------------------------------------------------------------------------
-- The media server: voicemail, IVR, queues, conferences
------------------------------------------------------------------------------------------

local OBJECT = {
	voicemail = "box_id",
	ivr = "ivr_menu_id",
	goto_ivr = "ivr_menu_id",
	queue = "queue_id",
	conference = "conference_id",
}

local function media(plan)
	local server = media_uri()
	local object = plan[OBJECT[plan.action]]
	local user = plan.mailbox or plan.number
	if server == "" or not safe(server, "^sips?:[%w%.%-:%[%];=]+$") then
		log("ERR", "no media server (switch node setting or --media-uri): " .. plan.action .. " refused")
		return reply(480, "Media Server Unavailable")
	end
	if not (safe(object, TOKEN) and safe(user, NUMBER)) then
		return reply(500, "Bad Plan")
	end
	KSR.pv.sets("$ru", (server:gsub("^(sips?:)", "%1" .. user .. "@")))
	KSR.hdr.append("X-Centralita-Action: " .. plan.action .. "\r\n")
	KSR.hdr.append("X-Centralita-Object: " .. object .. "\r\n")
	if plan.action == "voicemail" then
		KSR.hdr.append("X-Centralita-Mailbox: " .. user .. "\r\n")
	end
	local domain = avp("domain")
	if safe(domain, HOST) then
		KSR.hdr.append("X-Centralita-Domain: " .. domain .. "\r\n")
	end
	set_avp("stage", "media")
	KSR.tm.t_set_fr(30000, 2000)
	KSR.tm.t_on_failure("CALL_FAILURE")
	if KSR.tm.t_relay() < 0 then
		reply(500, "Relay Failed")
	end
end

------------------------------------------------------------------------------------------
-- Plans
------------------------------------------------------------------------------------------

execute = function(plan)
	if type(plan) ~= "table" then
		return reply(500, "Bad Plan")
	end
	local a = plan.action
	if a == "ring" then
		return ring(plan)
	elseif a == "outbound" then
		return outbound(plan)
	elseif a == "hangup" then
		local c, r = hangup_reply(plan.reason)
		return reply(c, r)
	elseif OBJECT[a] then
		return media(plan)
	end
	-- An action this edge does not know: refuse rather than guess.
	log("ERR", "unknown plan action " .. tostring(a))
	return reply(500, "Unknown Plan")
end

-- An INVITE in an async worker: ask Centralita, execute the answer. `source` is `internal`
-- (an authenticated phone) or `trunk` (a carrier).
function ksr_call(source)
	local ok, err = pcall(function()
		refresh_self(30)
		local caller, domain
		if source == "trunk" then
			caller = KSR.pv.get("$fU") or "anonymous"
		else
			caller = KSR.pv.get("$fU")
			domain = KSR.pv.get("$fd")
		end
		local destination = KSR.pv.get("$rU")
		set_avp("source", source)
		set_avp("caller", caller)
		-- A phone's call is its tenant's from the start: reported even if Centralita cannot
		-- be asked. A carrier's call belongs to nobody until Centralita names the DID's holder.
		dlg_set("domain", domain)
		dlg_set("caller", caller)
		dlg_set("destination", destination)
		dlg_set("direction", source == "trunk" and "inbound" or "internal")
		local body = { caller = caller, destination = destination, source = source, domain = domain }
		local code, answer = post("/v1/switch/route", body)
		if code == 404 then
			return reply(404, "Not Found")
		end
		if code ~= 200 or type(answer) ~= "table" or type(answer.plan) ~= "table" then
			log("ERR", "route " .. KSR.pv.get("$ci") .. ": HTTP " .. tostring(code) .. ": refused (fail closed)")
			return reply(503, "Service Unavailable")
		end
		if source == "trunk" then
			-- The tenant is the DID's holder: its domain is the call's from here on.
			domain = answer.domain
		end
		set_avp("domain", domain or "")
		dlg_set("domain", domain)
		return execute(answer.plan)
	end)
	if not ok then
		log("ERR", "call " .. tostring(KSR.pv.get("$ci")) .. ": " .. tostring(err))
		KSR.tm.t_reply(500, "Server Error")
	end
	return 1
end

-- A leg or trunk failed (failure route): next trunk, next leg, or the plan's fallback.
function ksr_call_failure()
	local ok, err = pcall(function()
		local code = KSR.tm.t_get_status_code()
		local stage = avp("stage")
		if stage == "trunk" then
			if code >= 500 or code == 408 then
				local i = (tonumber(avp("trunk_i")) or 1) + 1
				if try_trunk(i) then
					return
				end
			end
			dlg_set("cause", tostring(code))
			return
		end
		if stage == "ring" then
			local plan = cjson.decode(avp("plan") or "")
			if type(plan) ~= "table" then
				return reply(500, "Bad Plan")
			end
			local replied = KSR.tm.t_any_replied() > 0
			local this = outcome(code, replied)
			local order = cjson.decode(avp("order") or "")
			if type(order) == "table" then
				local result = avp("result") or "unreachable"
				if RANK[this] > RANK[result] then
					result = this
				end
				set_avp("result", result)
				return ring_next(plan, order, (tonumber(avp("pos")) or 1) + 1, result)
			end
			return fall_back(plan, this)
		end
		dlg_set("cause", tostring(code))
	end)
	if not ok then
		log("ERR", "failure route " .. tostring(KSR.pv.get("$ci")) .. ": " .. tostring(err))
	end
	return 1
end

-- A branch answered (2xx in the reply route armed for rings with outside legs): when it is
-- an outside leg, that leg is the one to charge.
function ksr_call_answered()
	local ok, err = pcall(function()
		local legs = cjson.decode(avp("outside_legs") or "")
		if type(legs) ~= "table" then
			return
		end
		local id = legs[KSR.pv.get("$T_branch(uri)") or ""]
		if id then
			-- Charged through its own authorization (`/calls/{id}/end`); the call's CDR stays
			-- `internal` so it is not rated and charged a second time.
			dlg_set("answered_leg", id)
		end
	end)
	if not ok then
		log("ERR", "reply route " .. tostring(KSR.pv.get("$ci")) .. ": " .. tostring(err))
	end
	return 1
end

------------------------------------------------------------------------------------------
-- Reports: /calls/{id}/end for authorized calls, a CDR for every call
------------------------------------------------------------------------------------------

-- The dialog ended (`end`) or never came up (`failed`): queue its reports for the sender.
function ksr_dialog_done(how)
	local ok, err = pcall(function()
		if dlg_get("reported") then
			return
		end
		dlg_set("reported", "1")
		local domain = dlg_get("domain")
		if not domain or domain == "" then
			return -- refused before Centralita named the tenant: nobody's call
		end
		local ended = now()
		local answered = tonumber(dlg_get("answered") or "")
		local started = tonumber(dlg_get("started") or "") or ended
		local cause = dlg_get("cause") or (how == "end" and "NORMAL_CLEARING" or "failed")
		local call_id = KSR.pv.get("$dlg(callid)") or KSR.pv.get("$ci")
		local ends = {}
		local authorized = dlg_get("authorized")
		if authorized then
			ends[#ends + 1] = authorized
		end
		for id in (dlg_get("authorized_legs") or ""):gmatch("[^\n]+") do
			ends[#ends + 1] = id
		end
		local answered_leg = dlg_get("answered_leg")
		for _, id in ipairs(ends) do
			local body = { ended_at = now_iso(ended), hangup_cause = cause }
			-- Only the leg that answered talked: the others end unanswered (charged nothing,
			-- their holds released).
			if answered and (id == authorized or id == answered_leg) then
				body.answered_at = now_iso(answered)
			end
			KSR.mqueue.mq_add("reports", "end " .. id, cjson.encode(body))
		end
		local cdr = {
			call_id = call_id,
			leg = "a",
			domain = domain,
			direction = dlg_get("direction") or "internal",
			caller = dlg_get("caller") or "anonymous",
			destination = dlg_get("destination") or "unknown",
			started_at = now_iso(started),
			answered_at = answered and now_iso(answered) or nil,
			ended_at = now_iso(ended),
			hangup_cause = cause,
			trunk_id = dlg_get("trunk"),
		}
		KSR.mqueue.mq_add("reports", "cdr", cjson.encode(cdr))
	end)
	if not ok then
		log("ERR", "dialog report: " .. tostring(err))
	end
	return 1
end

-- The sender (one rtimer process): reports wait in `pending` and in the spool file, so an
-- unreachable Centralita or a restart loses none; each is sent until Centralita took it.
local pending
local next_try = 0
local backoff = 1

local function spool_path()
	local dir = conf().spool
	if dir == "" then
		return nil
	end
	return dir .. "/reports.json"
end

local function save()
	local path = spool_path()
	if not path then
		return
	end
	local tmp = path .. ".tmp"
	local f = io.open(tmp, "w")
	if not f then
		log("ERR", "cannot write " .. tmp)
		return
	end
	f:write(cjson.encode(pending))
	f:close()
	os.rename(tmp, path)
end

local function load()
	pending = {}
	local path = spool_path()
	local f = path and io.open(path, "r")
	if f then
		local saved = cjson.decode(f:read("*a") or "")
		f:close()
		if type(saved) == "table" then
			pending = saved
		end
	end
end

-- Answers whether report `r` is settled (taken, or refused for good).
local function send(r)
	if r.kind == "end" then
		local code = post("/v1/switch/calls/" .. urlencode(r.id) .. "/end", cjson.decode(r.body))
		if code == 200 then
			return true
		end
		if code >= 400 and code < 500 and code ~= 408 and code ~= 429 then
			log("ERR", "end of " .. r.id .. " refused: HTTP " .. code .. " (dropped)")
			return true
		end
		return false
	end
	return false
end

function ksr_flush_reports()
	local ok, err = pcall(function()
		refresh_self(5)
		if not pending then
			load()
		end
		local changed = false
		while KSR.mqueue.mq_fetch("reports") > 0 do
			local k = KSR.pv.get("$mqk(reports)")
			local v = KSR.pv.get("$mqv(reports)")
			if k == "cdr" then
				pending[#pending + 1] = { kind = "cdr", body = v }
			else
				pending[#pending + 1] = { kind = "end", id = k:sub(5), body = v }
			end
			changed = true
		end
		if changed then
			save()
		end
		if #pending == 0 or os.time() < next_try then
			return
		end
		-- Ends first (they release holds), then CDRs in batches of up to 100.
		local left, cdrs = {}, {}
		local failed = false
		for _, r in ipairs(pending) do
			if r.kind == "end" then
				if failed or not send(r) then
					failed = true
					left[#left + 1] = r
				end
			else
				cdrs[#cdrs + 1] = r
			end
		end
		local i = 1
		while i <= #cdrs do
			local batch, records = {}, {}
			for j = i, math.min(i + 99, #cdrs) do
				batch[#batch + 1] = cdrs[j]
				records[#records + 1] = cjson.decode(cdrs[j].body)
			end
			local code = failed and 0 or post("/v1/switch/cdrs", { cdrs = records })
			if code == 200 then
				-- Each record is stored, a duplicate, or refused with a reason: all settled.
			elseif code >= 400 and code < 500 and code ~= 408 and code ~= 429 then
				log("ERR", "CDR batch refused: HTTP " .. code .. " (dropped)")
			else
				failed = true
				for _, r in ipairs(batch) do
					left[#left + 1] = r
				end
			end
			i = i + 100
		end
		if #left ~= #pending then
			pending = left
			save()
		end
		if failed then
			next_try = os.time() + backoff
			backoff = math.min(backoff * 2, 10)
			log("WARN", #pending .. " call reports wait for Centralita")
		else
			backoff = 1
			next_try = 0
		end
	end)
	if not ok then
		log("ERR", "report sender: " .. tostring(err))
	end
	return 1
end
