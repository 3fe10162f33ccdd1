-- GET /v1/tenants?limit=50: the first page of a partner's customers.
local token = os.getenv("TOKEN")
request = function()
  return wrk.format("GET", "/v1/tenants?limit=50", { ["authorization"] = "Bearer " .. token })
end
