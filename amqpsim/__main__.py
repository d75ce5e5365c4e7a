"""``python -m amqpsim``: the command line."""

import sys

from amqpsim.cli import main

sys.exit(main())
