from flylint.cli import main

raise SystemExit(main())
