-- GET /v1/tenants/{id} over ids loaded by load.py, round-robin.
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
local token = os.getenv("TOKEN")
local i = 0
request = function()
  i = i % #ids + 1
  return wrk.format("GET", "/v1/tenants/" .. ids[i], { ["authorization"] = "Bearer " .. token })
end
