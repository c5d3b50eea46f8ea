from services.gateway.app import create_app
from shared.service import serve

serve("gateway", create_app)
