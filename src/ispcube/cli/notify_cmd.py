"""`ispcube notify` (E4, E5): the pending e-mail notices sent (cron)."""

import typer

from ispcube.cli.output import render_record, render_rows
from ispcube.cli.state import state


def register(app: typer.Typer) -> None:
    @app.command("notify")
    def notify(ctx: typer.Context,
               dry_run: bool = typer.Option(False, "--dry-run",
                                            help="Print every message that would be sent; send and change nothing.")
               ) -> None:
        """Send the pending notices by e-mail: cut, restored, throttled, preaviso, reminders,
        invoices with their PDF (cron).

        Each notice is recorded as sent once the mail server accepted it; while the server is
        down they wait (exit 3) and are given up after 5 days, with a client-log line. With
        `payments.link_provider mercadopago` each client who owes gets its payment link in the
        notice (`payment_link`; a dry run shows only links made before).
        """
        from ispcube.errors import PartialFailure
        from ispcube.services.notices.send import run_notify
        from ispcube.services.payments.mercadopago.links import links_for
        st = state(ctx)
        rt = st.runtime()
        summary = run_notify(rt, dry_run=dry_run, payment_links=links_for(rt, create=not dry_run))
        if st.format == "json":
            render_record(summary.as_dict(), "json")
        elif dry_run:
            for message in summary.messages:
                st.say(f"--- notice {message['notice']}, client {message['client']} ({message['kind']})\n"
                       f"To: {message['to']}\nSubject: {message['subject']}\n\n{message['body']}")
            st.say(summary.line())
        else:
            if summary.messages and not st.quiet:
                render_rows(summary.messages, st.format, ["notice", "client", "kind", "to", "subject"])
            st.say(summary.line())
        if not summary.ok and not dry_run:
            raise PartialFailure(summary.failure())
