"""The fault tier's system plus the X sandbox: intake polls it for mentions, the responder replies on
it. Each X scenario adds its own X settings (how often intake polls, how fast the responder posts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.fault.system import SERVICES, System


@dataclass
class XSystem(System):
    names: tuple[str, ...] = (*SERVICES, "sandbox-x")
    x_env: dict[str, str] = field(default_factory=dict)  # the scenario's JAUAP_X_* settings

    def env(self, ports: dict[str, int]) -> dict[str, str]:
        return {
            **super().env(ports),
            "JAUAP_X_API_BASE": f"http://127.0.0.1:{ports['sandbox-x']}",
            # Polls per window: never the limit here.
            "JAUAP_X_SANDBOX_MENTIONS_LIMIT": "100000",
            "JAUAP_X_SANDBOX_DM_EVENTS_LIMIT": "100000",
            **self.x_env,
        }
