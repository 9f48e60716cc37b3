"""The dead-code check's allow-list (vulture reads it as code: each name here counts as used).

Every entry says why the name only *looks* unused. Names that frameworks call by convention
(Textual's `action_*`, `on_*`, `compose`, `BINDINGS`...) are ignored by pattern in
pyproject.toml [tool.vulture] instead. Add a name here only with its reason; delete real dead code.
"""

# ruff: noqa: B018, F821 - bare names are the point of a vulture allow-list

# Result and report fields: data read by tests, the bench and future readers, not by our code yet.
latency_s  # adapters.base.RealtimeAnswer: time of one realtime call (set by the adapters)
bytes_fetched  # adapters.base.DownloadReport: bytes fetched by this call (resume proof in tests)
result_length  # store.model.Item: the raw result line's length (read back from the row)
heartbeat_at  # store.model.SyncLease: the holder's last renewal, read back from sync_lease (live-fleet-14)
listed_at  # store.model.ProfileHealth: when the account was last listed, read back from sync_profiles
last_seen_at  # store.alerts.AlertState: the pass that last saw the condition (kept in alert_state)

# Named constants that document a provider fact or the emulator's knob groups.
OUTCOME_KNOBS  # adapters/emulator/faults.py: the per-batch knobs, beside HTTP_KNOBS (documentation)
EVENTS  # console/engine/alerts/message.py: the alert JSON's event words, named in one place
OPENAI_TOTAL_WHILE_VALIDATING  # adapters/emulator/state.py: an UNCONFIRMED provider fact, kept named

# Framework hooks called by name from outside our code.
main_loop  # adapters/emulator/server.py: uvicorn.Server override
force_exit  # uvicorn.Server attribute the emulator sets to stop at once
theme_variables  # textual.App attribute
discover  # textual.command.Provider.discover: the palette's commands before typing
virtual_size  # textual ScrollView attribute (the item table sets its scroll extent)
parameters  # textual check_action(action, parameters) signature
socket_connect_timeout  # apprise plugin attribute the alert sender sets (console/engine/alerts/deliver.py)
socket_read_timeout  # apprise plugin attribute, as above
do_POST  # http.server.BaseHTTPRequestHandler hook (tests/engine/alert_fixtures.py receiver)
log_message  # http.server.BaseHTTPRequestHandler hook, silenced in the test receiver
row_factory  # sqlite3.Connection attribute (tests/reliability/helpers.py)
__getattr__  # module-level lazy attribute access (PEP 562) in store/ and console/engine/
ceiling_output_tokens  # PromotionEstimate field: the token basis of ceiling_cost, for engine callers
