"""`python -m paperdesk_web [--port 3000]`: build the UI if needed and serve it."""

from paperdesk_web._launcher import main

raise SystemExit(main())
