module calibrate

go 1.19
