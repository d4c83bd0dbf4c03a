module wake

go 1.19
