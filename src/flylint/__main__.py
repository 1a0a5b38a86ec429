from flylint.main import main

raise SystemExit(main())
