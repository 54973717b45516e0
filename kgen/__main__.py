from kgen.launch import main

main()
